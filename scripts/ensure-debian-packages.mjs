#!/usr/bin/env node
// Makes sure the Debian packages the tests need are installed: the browser (and an emoji font for
// its screenshots) for the playground's browser tests, the audio tools for the voice-note tests.
// Installs the missing ones with apt-get when running as root; otherwise says what is missing and
// how to install it, and exits non-zero.
import { spawnSync } from "node:child_process"
import { existsSync, readdirSync, statSync } from "node:fs"
import process from "node:process"

const log = (line) => process.stdout.write(`${line}\n`)
const fail = (line) => process.stderr.write(`${line}\n`)

/** The Debian packages the tests need. */
export const packages = ["chromium", "fonts-noto-color-emoji", "opus-tools"]

const isInstalled = (name) => {
  const result = spawnSync("dpkg-query", ["-W", "-f=${Status}", name], { encoding: "utf8" })
  return result.status === 0 && result.stdout.includes("install ok installed")
}

const hasCommand = (name) => spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0

// apt's package lists are empty on a fresh machine: update only when apt does not know a package
// (or when an install fails, as the lists may be stale).
const listsPresent = () => {
  const dir = "/var/lib/apt/lists"
  if (!existsSync(dir)) return false
  return readdirSync(dir).some((file) => file.includes("_Packages") && statSync(`${dir}/${file}`).size > 0)
}

const isKnown = (name) => spawnSync("apt-cache", ["show", name], { stdio: "ignore" }).status === 0

const run = (args) => {
  log(`ensure-debian-packages: apt-get ${args.join(" ")}`)
  // Waits for another apt-get holding the lock instead of failing at once.
  return spawnSync("apt-get", ["-o", "DPkg::Lock::Timeout=300", ...args], {
    stdio: "inherit",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" }
  }).status
}

const main = () => {
  if (!hasCommand("dpkg-query")) {
    fail(
      `ensure-debian-packages: not a Debian system (no dpkg-query); install these yourself: ${packages.join(" ")}`
    )
    return 1
  }
  const missing = packages.filter((name) => !isInstalled(name))
  if (missing.length === 0) return 0
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0
  if (!isRoot || !hasCommand("apt-get")) {
    fail(
      `ensure-debian-packages: missing Debian packages: ${missing.join(" ")}; install them with: ` +
        `sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing.join(" ")}`
    )
    return 1
  }
  const install = ["install", "-y", "--no-install-recommends", ...missing]
  if ((!listsPresent() || !missing.every(isKnown)) && run(["update"]) !== 0) return 1
  if (run(install) !== 0 && (run(["update"]) !== 0 || run(install) !== 0)) {
    fail(`ensure-debian-packages: could not install: ${missing.join(" ")}`)
    return 1
  }
  const still = missing.filter((name) => !isInstalled(name))
  if (still.length > 0) {
    fail(`ensure-debian-packages: still missing after apt-get install: ${still.join(" ")}`)
    return 1
  }
  return 0
}

process.exitCode = main()
