import * as fs from "node:fs"
import * as path from "node:path"
import { Effect, Exit, Redacted, Scope } from "effect"
import pg from "pg"
import { afterAll, describe, expect, it } from "vitest"
import { startEmbeddedPostgres } from "../../../src/sql/EmbeddedPostgres.ts"
import { livePid } from "../../../src/sql/DataDirLock.ts"
import { BacklineProcess, runBackline } from "../../support/Backline.ts"
import { makeTempDir } from "../../support/TempDir.ts"

const query = async (url: Redacted.Redacted<string>, text: string) => {
  const client = new pg.Client({ connectionString: Redacted.value(url) })
  await client.connect()
  try {
    return (await client.query<Record<string, unknown>>(text)).rows
  } finally {
    await client.end()
  }
}

const start = async (dir: string) => {
  const scope = Effect.runSync(Scope.make())
  const server = await Effect.runPromise(startEmbeddedPostgres(dir).pipe(Scope.extend(scope)))
  return { server, stop: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}

describe("embedded PostgreSQL", () => {
  const dirs: Array<{ remove: () => void }> = []
  const tempDir = (prefix: string) => {
    const dir = makeTempDir(prefix)
    dirs.push(dir)
    return dir.path
  }
  afterAll(() => dirs.forEach((dir) => dir.remove()))

  it("creates a cluster, stops it cleanly and keeps its data across restarts", async () => {
    const dir = tempDir("embedded")
    const first = await start(dir)
    expect(first.server.created).toBe(true)
    await query(first.server.url, "create table kept (note text); insert into kept values ('still here')")
    const postmaster = path.join(dir, "pg", "postmaster.pid")
    expect(livePid(postmaster)).toBeGreaterThan(0)
    await first.stop()
    expect(fs.existsSync(postmaster)).toBe(false) // PostgreSQL shut down, not killed
    expect(fs.existsSync(path.join(dir, "backline.pid"))).toBe(false)

    const second = await start(dir)
    expect(second.server.created).toBe(false)
    expect(await query(second.server.url, "select note from kept")).toEqual([{ note: "still here" }])
    await second.stop()
  })

  it("refuses a second instance on the same folder in the same process", async () => {
    const dir = tempDir("twice")
    const first = await start(dir)
    const again = await Effect.runPromise(Effect.scoped(startEmbeddedPostgres(dir)).pipe(Effect.flip))
    expect(again).toMatchObject({ _tag: "DataDirInUse", dir, pid: process.pid })
    await first.stop()
  })

  it("refuses a second Backline on the same data folder with one line", async () => {
    const dir = tempDir("second")
    const first = new BacklineProcess(["start"], { BACKLINE_DATA_DIR: dir, HTTP_PORT: "0" })
    await first.running()
    const second = await runBackline(["start"], { BACKLINE_DATA_DIR: dir, HTTP_PORT: "0" })
    expect(second.code).toBe(1)
    expect(second.stderr.trimEnd().split("\n")).toEqual([
      `backline: the data folder ${dir} is in use by another Backline (pid ${first.pid}); stop that one first or set BACKLINE_DATA_DIR to another folder`
    ])
    expect((await first.stop()).code).toBe(0)
  })

  it("recovers after Backline was killed, stopping the PostgreSQL it left behind", async () => {
    const dir = tempDir("killed")
    const killed = new BacklineProcess(["start"], { BACKLINE_DATA_DIR: dir, HTTP_PORT: "0" })
    await killed.running()
    const orphan = livePid(path.join(dir, "pg", "postmaster.pid"))
    expect(orphan).toBeGreaterThan(0)
    expect((await killed.stop("SIGKILL")).signal).toBe("SIGKILL")

    const next = new BacklineProcess(["start"], { BACKLINE_DATA_DIR: dir, HTTP_PORT: "0" })
    const url = await next.running()
    expect(next.stdout).toContain(`stopping PostgreSQL (pid ${orphan}) left running by an earlier Backline`)
    expect(next.stdout).toContain("start #2")
    expect((await fetch(`${url}/readyz`)).status).toBe(200)
    expect((await next.stop()).code).toBe(0)
    expect(livePid(path.join(dir, "pg", "postmaster.pid"))).toBeUndefined()
  })
})
