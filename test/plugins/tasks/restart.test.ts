import * as fs from "node:fs"
import * as path from "node:path"
import type { Message } from "grammy/types"
import { afterAll, describe, expect, it } from "vitest"
import { BacklineProcess } from "../../support/Backline.ts"
import { helpdeskWorld, until, viewOf } from "../../support/Helpdesk.ts"
import { useSandbox } from "../../support/HelpdeskFixture.ts"
import { makeTempDir } from "../../support/TempDir.ts"

describe("tasks survive a crash of Backline", () => {
  // The sandbox runs in this process, so Telegram (the cards, the group) outlives each Backline.
  const env = useSandbox()
  const dir = makeTempDir("tasks-restart")
  afterAll(() => dir.remove())

  it("after a SIGKILL and a restart the cards' buttons still work and a due reminder fires", async () => {
    const sandbox = env.sandbox.world
    const view = viewOf(sandbox)
    const { owner, operators, bot, group } = helpdeskWorld(sandbox, {
      bot: "tasks_restart_bot",
      title: "Team",
      operators: ["Oleg"]
    })
    const oleg = operators[0]!
    fs.writeFileSync(path.join(dir.path, "plugins.json"), JSON.stringify({ plugins: [{ id: "tasks" }] }))
    const start = () =>
      new BacklineProcess(
        ["start"],
        {
          DATABASE_URL: env.database.url,
          BOT_TOKEN: bot.token,
          TELEGRAM_API_ROOT: env.sandbox.apiRoot,
          BACKEND_GROUP_ID: String(group),
          TELEGRAM_RATE_LIMITS: "off",
          HTTP_PORT: "0"
        },
        dir.path
      )
    const fromBot = (thread: number) =>
      view.topicMessages(group, owner.id, thread).filter((message) => message.from?.id === bot.user.id)
    const cardOf = (thread: number, id: number, test: (text: string) => boolean) =>
      until(() =>
        fromBot(thread).find(
          (message) => message.text?.includes(`Task #${id} ·`) === true && test(message.text)
        )
      )
    const press = (from: number, message: Message, data: string) => {
      const { callback_query_id } = sandbox.pressButton({
        from,
        chat_id: group,
        message_id: message.message_id,
        data
      })
      return until(() => {
        const answer = sandbox.callbackAnswer(callback_query_id)
        return answer.answered ? answer.text : undefined
      })
    }

    let backline = start()
    try {
      await backline.running()
      const thread = sandbox.createTopic(group, { from: owner.id, name: "Tasks" }).message_thread_id
      const write = (text: string) =>
        sandbox.sendMessage({ from: owner.id, chat_id: group, message_thread_id: thread, text })
      write("/task Renew the certificate in 40s")
      write("/task Water the plants")
      const renew = await cardOf(thread, 1, () => true)
      const plants = await cardOf(thread, 2, () => true)
      expect(await press(oleg.id, renew, "tasks:take:1")).toBe("Task #1 is yours.")
      await cardOf(thread, 1, (text) => text.includes("👤 Oleg"))

      backline.kill("SIGKILL")
      expect(await backline.exited).toEqual({ code: null, signal: "SIGKILL" })
      expect(fromBot(thread).some((message) => message.text?.startsWith("⏰") === true)).toBe(false)

      backline = backline.restart()
      await backline.running()
      // A card from before the crash: its button works, and the card is edited in place.
      expect(await press(oleg.id, plants, "tasks:done:2")).toBe("Task #2 is done.")
      const done = await cardOf(thread, 2, (text) => text.includes("· done"))
      expect(done.message_id).toBe(plants.message_id)
      expect(done.reply_markup?.inline_keyboard.flat().map((button) => button.text)).toEqual(["Reopen"])

      // The reminder set before the crash fires after it, mentioning the assignee, answering the card.
      const reminder = await until(
        () => fromBot(thread).find((message) => message.text?.startsWith("⏰") === true),
        60_000
      )
      expect(reminder.text).toBe("⏰ Oleg, task #1 is due: Renew the certificate")
      expect(reminder.reply_to_message?.message_id).toBe(renew.message_id)
      expect(
        reminder.entities?.map((entity) => [entity.type, "user" in entity ? entity.user.id : 0])
      ).toEqual([["text_mention", oleg.id]])
      expect(fromBot(thread).filter((message) => message.text?.startsWith("⏰") === true)).toHaveLength(1)
    } finally {
      const exit = await backline.stop()
      expect(exit).toEqual({ code: 0, signal: null })
      expect(backline.stderr).toBe("")
    }
  }, 180_000)
})
