import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../bin/backline.js")

/** The node options Backline runs with, as its file's first line gives them (`#!/usr/bin/env -S node …`). */
const nodeOptions = (fs.readFileSync(bin, "utf8").split("\n")[0] ?? "")
  .split(" ")
  .filter((word) => word.startsWith("--"))

/** Environment for a child Backline: only what the test sets, plus what Node itself needs. */
const baseEnv = (): Record<string, string> => {
  const keep = ["PATH", "HOME", "TMPDIR", "LANG"]
  return Object.fromEntries(keep.flatMap((key) => (process.env[key] ? [[key, process.env[key]]] : [])))
}

/**
 * The plugins file of a process started in the checkout itself: none, so that a test sees only
 * the plugins it asks for (`useDemo`'s `plugins`, or a `cwd` with its own `plugins.json`) and not
 * the checkout's defaults.
 */
const noPlugins = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "no-plugins.json")

/** A `backline` CLI process started by a test, with its output collected. */
export class BacklineProcess {
  stdout = ""
  stderr = ""
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  private readonly child: ChildProcessWithoutNullStreams

  constructor(
    private readonly args: ReadonlyArray<string>,
    private readonly env: Record<string, string>,
    private readonly cwd?: string
  ) {
    // BACKLINE_CHILD_NODE_OPTIONS adds node options, for profiling: `--cpu-prof --cpu-prof-dir=…`.
    const extra = process.env["BACKLINE_CHILD_NODE_OPTIONS"]?.split(" ").filter(Boolean) ?? []
    this.child = spawn(process.execPath, [...nodeOptions, ...extra, bin, ...args], {
      env: { ...baseEnv(), ...(cwd === undefined ? { PLUGINS_FILE: noPlugins } : {}), ...env },
      ...(cwd ? { cwd } : {})
    })
    this.child.stdout.on("data", (chunk: Buffer) => (this.stdout += chunk.toString()))
    this.child.stderr.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()))
    this.exited = new Promise((resolve) =>
      this.child.once("close", (code, signal) => resolve({ code, signal }))
    )
  }

  get pid(): number {
    return this.child.pid ?? 0
  }

  /** Resolves with the first match of `pattern` in stdout, or rejects if the process ends first. */
  async waitFor(pattern: RegExp, timeoutMs = 45_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs
    let ended = false
    void this.exited.then(() => (ended = true))
    for (;;) {
      const match = this.stdout.match(pattern)
      if (match) return match
      if (ended || Date.now() > deadline) {
        throw new Error(`no ${String(pattern)} in output\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  /** Waits for the line announcing the address and answers that address. */
  async running(): Promise<string> {
    const [, url] = await this.waitFor(/Backline is running at (http:\/\/\S+)/)
    return url ?? ""
  }

  kill(signal: NodeJS.Signals = "SIGINT") {
    this.child.kill(signal)
  }

  /** A new process with the same arguments, environment and folder, e.g. after a `SIGKILL`. */
  restart(): BacklineProcess {
    return new BacklineProcess(this.args, this.env, this.cwd)
  }

  /** Signals the process and waits for it to exit. */
  async stop(signal: NodeJS.Signals = "SIGINT") {
    this.kill(signal)
    return this.exited
  }
}

/** Runs `backline <args>` to completion. */
export const runBackline = async (
  args: ReadonlyArray<string>,
  env: Record<string, string> = {},
  cwd?: string
) => {
  const process = new BacklineProcess(args, env, cwd)
  const { code } = await process.exited
  return { code, stdout: process.stdout, stderr: process.stderr }
}
