import { Bot } from "grammy"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { BacklineProcess } from "../../support/Backline.ts"
import { createTestDatabase } from "../../support/Database.ts"

const sandboxRoot = /Bot API root:? (http:\/\/127\.0\.0\.1:\d+)/
const demoBot = /demo bot: @backline_demo_bot \((\d+)\), token (\d+:\S+)/
const demoGroup = /demo backend group: "Backline Demo" \((-\d+)\)/

describe("backline sandbox", () => {
  it("--demo serves the demo workspace that the real grammY client reaches with the printed token", async () => {
    const sandbox = new BacklineProcess(["sandbox", "--port", "0", "--demo", "--no-limits"], {})
    const [, apiRoot] = await sandbox.waitFor(sandboxRoot)
    const [, botId, token] = await sandbox.waitFor(demoBot)
    const [, groupId] = await sandbox.waitFor(demoGroup)
    expect(sandbox.stdout).toContain("rate limits: off")
    const bot = new Bot(token!, { client: { apiRoot: apiRoot! } })
    const me = await bot.api.getMe()
    expect([me.id, me.username, me.is_bot]).toEqual([Number(botId), "backline_demo_bot", true])
    const group = await bot.api.getChat(Number(groupId))
    expect(group).toMatchObject({ type: "supergroup", title: "Backline Demo", is_forum: true })
    const admins = await bot.api.getChatAdministrators(Number(groupId))
    expect(admins.map((member) => member.user.username)).toContain("dana_admin")
    expect((await sandbox.stop()).code).toBe(0)
  })

  it("without --demo starts an empty world that the control API fills", async () => {
    const sandbox = new BacklineProcess(["sandbox", "--port", "0"], {})
    const [, apiRoot] = await sandbox.waitFor(sandboxRoot)
    // The rest of the start-up lines may come in later chunks of output: read up to the last.
    await sandbox.waitFor(/press Ctrl-C to stop/)
    expect(sandbox.stdout).toContain("rate limits: on")
    expect(sandbox.stdout).not.toContain("demo")
    const response = await fetch(`${apiRoot}/sandbox/v1/bots`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "script_bot" })
    })
    const created = (await response.json()) as { token: string }
    const me = await new Bot(created.token, { client: { apiRoot: apiRoot! } }).api.getMe()
    expect(me.username).toBe("script_bot")
    expect((await sandbox.stop()).code).toBe(0)
  })
})

describe("backline start and the sandbox", () => {
  let database: { url: string; drop: () => Promise<void> }
  beforeAll(async () => {
    database = await createTestDatabase()
  })
  afterAll(() => database.drop())

  it("without BOT_TOKEN runs on the sandbox with the demo workspace and says how to reach it", async () => {
    const backline = new BacklineProcess(["start"], { DATABASE_URL: database.url, HTTP_PORT: "0" })
    await backline.running()
    const [, apiRoot] = await backline.waitFor(/built-in Telegram sandbox, Bot API root (http:\/\/\S+)/)
    const [, , token] = await backline.waitFor(demoBot)
    const me = await new Bot(token!, { client: { apiRoot: apiRoot! } }).api.getMe()
    expect(me.username).toBe("backline_demo_bot")
    expect((await backline.stop()).code).toBe(0)
  })

  it("with BOT_TOKEN starts no sandbox", async () => {
    const backline = new BacklineProcess(["start"], {
      DATABASE_URL: database.url,
      HTTP_PORT: "0",
      BOT_TOKEN: "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    })
    await backline.running()
    expect(backline.stdout).toContain("telegram: bot token set, Bot API at https://api.telegram.org")
    expect(backline.stdout).not.toContain("sandbox")
    expect((await backline.stop()).code).toBe(0)
  })
})
