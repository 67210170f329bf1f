import { afterAll, beforeAll, expect } from "vitest"
import { startSandbox, type RunningSandbox } from "../../src/sandbox/Server.ts"
import type { BacklineProcess } from "./Backline.ts"
import { createTestDatabase } from "./Database.ts"
import { helpdeskWorld, startHelpdesk } from "./Helpdesk.ts"

/**
 * For a test file: before its tests, a fresh database and a sandbox in this process with its
 * limits off (it outlives any Backline the tests start and stop); after them, both go. Read the
 * fields inside tests.
 */
export const useSandbox = () => {
  const running = {} as { database: { url: string; drop: () => Promise<void> }; sandbox: RunningSandbox }
  beforeAll(async () => {
    running.database = await createTestDatabase()
    running.sandbox = await startSandbox({ limits: { enabled: false } })
  })
  afterAll(async () => {
    await running.sandbox?.close()
    await running.database?.drop()
  })
  return running
}

/**
 * For a test file: before its tests, a fresh database, a sandbox in this process (limits off) with
 * a helpdesk world, and `backline start` serving it; after them, Backline is stopped (it must exit
 * cleanly with nothing on stderr), then the sandbox and the database go (see `useSandbox`). `prepare` runs before the
 * start, for what must be in place by then. Read the fields inside tests.
 */
export const useHelpdesk = (
  world: { readonly bot: string; readonly title: string; readonly operators?: ReadonlyArray<string> },
  prepare?: (setup: {
    readonly sandbox: RunningSandbox
    readonly databaseUrl: string
    readonly desk: ReturnType<typeof helpdeskWorld>
  }) => Promise<void>
) => {
  const base = useSandbox()
  const running = base as typeof base & { desk: ReturnType<typeof helpdeskWorld>; backline: BacklineProcess }
  beforeAll(async () => {
    running.desk = helpdeskWorld(running.sandbox.world, world)
    await prepare?.({ sandbox: running.sandbox, databaseUrl: running.database.url, desk: running.desk })
    running.backline = startHelpdesk({
      databaseUrl: running.database.url,
      apiRoot: running.sandbox.apiRoot,
      token: running.desk.bot.token,
      group: running.desk.group
    })
    await running.backline.running()
  }, 60_000)
  afterAll(async () => {
    if (running.backline === undefined) return
    expect(await running.backline.stop()).toEqual({ code: 0, signal: null })
    expect(running.backline.stderr).toBe("")
  })
  return running
}
