import * as fs from "node:fs"
import * as path from "node:path"
import { Api } from "grammy"
import type { Message } from "grammy/types"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { BacklineProcess } from "../../support/Backline.ts"
import { createTestDatabase } from "../../support/Database.ts"
import { eventually } from "../../support/Demo.ts"
import { makeTempDir } from "../../support/TempDir.ts"

describe("tally, end to end: backline start with the plugin, people writing in the sandbox's demo group", () => {
  let database: { url: string; drop: () => Promise<void> }
  const dir = makeTempDir("tally")
  beforeAll(async () => {
    database = await createTestDatabase()
    const plugin = path.resolve("test/plugins/tally/index.ts")
    fs.writeFileSync(
      path.join(dir.path, "plugins.json"),
      JSON.stringify({ plugins: [{ id: "tally", package: plugin, config: { label: "messages" } }] })
    )
  })
  afterAll(async () => {
    dir.remove()
    await database.drop()
  })

  it("counts what people write, answers /tally, keeps /remind for admins and reminds on time", async () => {
    const backline = new BacklineProcess(["start"], { DATABASE_URL: database.url, HTTP_PORT: "0" }, dir.path)
    try {
      const [, apiRoot] = await backline.waitFor(/Bot API root (http:\/\/\S+)/)
      const [, token] = await backline.waitFor(/demo bot: .* token (\S+)/)
      const [, group] = await backline.waitFor(/demo backend group: ".*" \((-\d+)\)/)
      const [, admin] = await backline.waitFor(/demo admin: .* \((\d+)\)/)
      const [, operator] = await backline.waitFor(/demo operators: [^(]* \((\d+)\)/)
      await backline.running()
      expect(backline.stdout).toContain("plugins: 1 loaded from plugins.json (tally)")
      const control = `${apiRoot}/sandbox/v1`
      const write = async (from: string, text: string) => {
        const response = await fetch(`${control}/messages`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ from: Number(from), chat_id: Number(group), text })
        })
        expect(response.status).toBe(200)
        return (await response.json()) as Message
      }
      /** What the admin sees the bot say in General, oldest first. */
      const botSays = async () => {
        const response = await fetch(`${control}/chats/${group}/messages?as=${admin}`)
        const messages = (await response.json()) as Array<Message>
        return messages.filter((message) => message.from?.is_bot === true).map((message) => message.text)
      }
      const says = (text: string) =>
        eventually(async () => ((await botSays()).includes(text) ? true : undefined), 30_000)

      await write(operator!, "hello")
      await write(operator!, "world")
      // Each message is counted before the next command is read: the group actor's order.
      const asked = await write(admin!, "/tally")
      await says("2 messages")
      const messages = (await (
        await fetch(`${control}/chats/${group}/messages?as=${admin}`)
      ).json()) as Array<Message>
      expect(messages.find((message) => message.text === "2 messages")?.reply_to_message?.message_id).toBe(
        asked.message_id
      )

      await write(operator!, "/remind 1 coffee")
      await says("/remind is for the group's admins only.")
      await write(admin!, "/remind 1 stand-up")
      await says("I will remind this topic in 1 s.")
      await says("Reminder: stand-up")
      expect((await botSays()).filter((text) => text?.startsWith("Reminder")).length).toBe(1)

      const api = new Api(token!, { apiRoot: apiRoot! })
      const menu = async (type: "all_group_chats" | "all_chat_administrators") =>
        (await api.getMyCommands({ scope: { type } })).map((command) => command.command)
      expect(
        await eventually(async () => ((await menu("all_chat_administrators")).length > 0 ? true : undefined))
      )
      expect([await menu("all_group_chats"), await menu("all_chat_administrators")]).toEqual([
        ["tally", "settings", "new", "set", "workspace"],
        // after tally's own two, Backline's
        [
          "tally",
          "remind",
          "settings",
          "new",
          "set",
          "token",
          "workspace",
          "webhook",
          "cmd",
          "plugins",
          "plugin"
        ]
      ])
    } finally {
      const exit = await backline.stop("SIGINT")
      expect(exit).toEqual({ code: 0, signal: null })
      expect(backline.stderr).toBe("")
    }
  }, 90_000)
})
