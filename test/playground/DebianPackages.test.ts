import { spawnSync } from "node:child_process"
import * as path from "node:path"
import { describe, expect, it } from "vitest"

const script = path.resolve("scripts/ensure-debian-packages.mjs")
const run = (env: Record<string, string>) =>
  spawnSync(process.execPath, [script], { env, encoding: "utf8", timeout: 30_000 })

describe("scripts/ensure-debian-packages.mjs", () => {
  it("passes quietly when the packages the tests need are installed", () => {
    // npm test ran it before the tests, so here they are installed.
    const result = run({ PATH: process.env["PATH"] ?? "" })
    expect(result.stderr).toBe("")
    expect(result.status).toBe(0)
  })

  it("names the packages and fails on a system without dpkg", () => {
    const result = run({ PATH: "/nonexistent" })
    expect(result.status).toBe(1)
    expect(result.stderr).toMatch(/^ensure-debian-packages: not a Debian system .*chromium.*opus-tools\n$/)
  })
})
