import * as fs from "node:fs"
import * as path from "node:path"
import { Data, Effect } from "effect"

/** Another live Backline process already runs the embedded PostgreSQL in this data folder. */
export class DataDirInUse extends Data.TaggedError("DataDirInUse")<{
  readonly dir: string
  readonly pid: number
}> {}

const heldHere = new Set<string>()

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

const readPid = (file: string): number | undefined => {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, "utf8").trim(), 10)
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

/** The PID recorded in a PID file (`backline.pid`, PostgreSQL's `postmaster.pid`) if that process lives. */
export const livePid = (file: string): number | undefined => {
  const pid = readPid(file)
  return pid !== undefined && isAlive(pid) ? pid : undefined
}

const tryCreate = (file: string): boolean => {
  try {
    fs.writeFileSync(file, `${process.pid}\n`, { flag: "wx", mode: 0o644 })
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false
    throw error
  }
}

/**
 * Claims `dir` for this process with a `backline.pid` file, released when the scope closes.
 * A file left by a process that no longer runs (killed, crashed) is taken over; one held by
 * a live process, or already by this process, fails with `DataDirInUse`.
 */
export const acquireDataDirLock = (dir: string) =>
  Effect.acquireRelease(
    Effect.suspend(() => {
      const file = path.join(dir, "backline.pid")
      if (heldHere.has(dir)) return Effect.fail(new DataDirInUse({ dir, pid: process.pid }))
      fs.mkdirSync(dir, { recursive: true, mode: 0o755 })
      for (let attempt = 0; attempt < 3; attempt++) {
        if (tryCreate(file)) {
          heldHere.add(dir)
          return Effect.succeed(file)
        }
        const owner = livePid(file)
        if (owner !== undefined) return Effect.fail(new DataDirInUse({ dir, pid: owner }))
        fs.rmSync(file, { force: true }) // stale: its process is gone
      }
      return Effect.fail(new DataDirInUse({ dir, pid: readPid(file) ?? 0 }))
    }),
    (file) =>
      Effect.sync(() => {
        heldHere.delete(dir)
        if (readPid(file) === process.pid) fs.rmSync(file, { force: true })
      })
  )
