import { layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Effect, Either, TestClock } from "effect"
import { expect } from "vitest"
import tasks from "../../../plugins/tasks/index.ts"
import { decodeConfig } from "../../../src/plugins/PluginConfig.ts"
import { MigratedDatabase } from "../../support/Gateway.ts"
import { buttonPress, groupCommand, harnessBot, makeHarness } from "../../support/PluginHarness.ts"

const team = -1001234567890
const desk = 7 // a topic
const bob = { id: 12, first_name: "Bob", is_bot: false, username: "bobby" }
const oleg = { id: 31, first_name: "Oleg", is_bot: false, username: "oleg" }
// Thursday 26 November 2026, 08:00 UTC.
const now = Date.UTC(2026, 10, 26, 8, 0)

const task = (text: string, fields: { from?: typeof bob; threadId?: number } = {}) =>
  groupCommand({ chatId: team, threadId: fields.threadId ?? desk, text, from: fields.from ?? bob })
const press = (data: string, messageId: number, from = bob) =>
  buttonPress({ chatId: team, threadId: desk, data, messageId, from })
const buttons = (params: Record<string, unknown>) =>
  (params["reply_markup"] as { inline_keyboard: Array<Array<{ text: string }>> }).inline_keyboard.map((row) =>
    row.map((button) => button.text)
  )

/** Where the outbox is now: `sendAll` after it sees only this test's calls. */
const outboxNow = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.map(sql<{ id: string }>`select coalesce(max(id), 0) as id from outbox`, ([row]) => Number(row!.id))
)

/** Telegram accepted the plugin's messages queued since `since`: each gets a message id (9000 + outbox id). */
const sendAll = (since: number) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ id: string }>`
      update outbox set status = 'sent', sent_at = now(), result = jsonb_build_object('message_id', 9000 + id)
      where actor_key = 'plugin:tasks' and status = 'pending' and id > ${since} returning id`
    return rows.map((row) => 9000 + Number(row.id)).sort((a, b) => a - b)
  })

layer(MigratedDatabase, { timeout: 60_000 })("tasks, through the plugin harness", (it) => {
  it.scoped(
    "/task posts a card with buttons; Take it, Done and Reopen edit it in place and are announced",
    () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(now)
        const harness = yield* makeHarness(tasks)
        const made = task("/task Call the client back in 2h")
        yield* harness.deliver(made)
        const [card] = yield* harness.outbox
        expect(card?.method).toBe("sendMessage")
        expect(card?.params["text"]).toBe(
          [
            "📋 <b>Task #1</b> · open",
            "Call the client back",
            "👤 nobody yet",
            "⏰ due Thu 26 Nov 10:00 UTC",
            "Created by Bob"
          ].join("\n")
        )
        expect(card?.params["reply_parameters"]).toEqual({
          message_id: made.messageId,
          allow_sending_without_reply: true
        })
        expect(buttons(card!.params)).toEqual([["Take it", "Done"]])
        const [timer] = yield* harness.timers
        expect(timer?.name).toBe(`due:${team}:1`)
        expect(timer?.dueInMs).toBeGreaterThan(2 * 3_600_000 - 60_000)
        expect(timer?.dueInMs).toBeLessThanOrEqual(2 * 3_600_000)

        const cardId = 555
        yield* harness.deliver(press("tasks:take:1", cardId, oleg))
        yield* harness.deliver(press("tasks:take:1", cardId, bob)) // Oleg has it: nothing changes
        yield* harness.deliver(press("tasks:done:1", cardId, bob))
        expect(yield* harness.timers).toEqual([]) // no reminder for a task that is done
        yield* harness.deliver(press("tasks:reopen:1", cardId, oleg))
        expect((yield* harness.timers).map((entry) => entry.name)).toEqual([`due:${team}:1`])

        const calls = (yield* harness.outbox).slice(1)
        const edits = calls.filter((call) => call.method === "editMessageText")
        expect(edits.map((edit) => edit.params["message_id"])).toEqual([cardId, cardId, cardId])
        expect(edits.map((edit) => (edit.params["text"] as string).split("\n")[0])).toEqual([
          "📋 <b>Task #1</b> · open",
          "✅ <b>Task #1</b> · done",
          "📋 <b>Task #1</b> · open"
        ])
        expect(edits.map((edit) => buttons(edit.params))).toEqual([[["Done"]], [["Reopen"]], [["Done"]]])
        expect(edits[1]?.params["text"]).toContain("👤 Oleg\n")
        expect(edits[1]?.params["text"]).toContain("Done by Bob")
        expect(
          calls.filter((call) => call.method === "answerCallbackQuery").map((call) => call.params["text"])
        ).toEqual(["Task #1 is yours.", "Oleg has it already.", "Task #1 is done.", "Task #1 is open again."])
        expect(
          (yield* harness.emitted).map((event) => [event.type, "action" in event ? event.action : ""])
        ).toEqual([
          ["tasks.changed", "created"],
          ["tasks.changed", "taken"],
          ["tasks.changed", "done"],
          ["tasks.changed", "reopened"]
        ])
        expect((yield* harness.emitted)[1]).toEqual({
          type: "tasks.changed",
          connection: harnessBot,
          chatId: team,
          threadId: desk,
          taskId: 1,
          action: "taken",
          text: "Call the client back",
          status: "open",
          assignee: "oleg",
          due: "2026-11-26T10:00:00.000Z",
          by: oleg
        })
      })
  )

  it.scoped("a task made in reply to a message links back to it; bad input gets the usage", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(now)
      const harness = yield* makeHarness(tasks)
      const command = task("/task Send the invoice @oleg fri")
      const reply = {
        ...command,
        message: {
          ...command.message,
          reply_to_message: {
            message_id: 40,
            date: 1,
            chat: command.message.chat,
            from: { id: 7000000001, is_bot: true, first_name: "Backline" },
            text: "Where is my invoice for order 17? I paid it last week & <b>twice</b>"
          }
        }
      } as typeof command
      yield* harness.deliver(reply)
      // A message in a topic replies to the topic's first message: that is no source.
      const plain = task("/task Tidy up")
      yield* harness.deliver({
        ...plain,
        message: {
          ...plain.message,
          reply_to_message: {
            message_id: desk,
            date: 1,
            chat: plain.message.chat,
            forum_topic_created: { name: "Desk", icon_color: 1 }
          }
        }
      } as typeof plain)
      yield* harness.deliver(task("/task Plan tomorrow 25:00"))
      const texts = (yield* harness.outbox).map((call) => call.params["text"] as string)
      expect(texts[0]).toContain("👤 @oleg\n⏰ due Fri 27 Nov 09:00 UTC\n")
      expect(texts[0]).toContain(
        '↩️ <a href="https://t.me/c/1234567890/7/40">“Where is my invoice for order 17? I paid it last week &amp; &lt;b&gt;twice&lt;/b&gt;”</a>'
      )
      expect(texts[1]).not.toContain("↩️")
      expect(texts[2]).toBe(
        [
          `"25:00" is not a time of day: write it as 09:30 or 17:00.`,
          "",
          "Usage: /task <text> [@assignee] [due]",
          "Due: in 2h, in 30m, tomorrow 10:00, fri, fri 15:00, 2026-12-01 09:30.",
          "Reply to a message with /task to link the task to it."
        ].join("\n")
      )
      expect(Object.keys(yield* harness.storage({ chatId: team })).sort()).toEqual([
        "next",
        "task:1",
        "task:2"
      ])
    })
  )

  it.scoped("/tasks lists open tasks (this topic's, mine, someone's, all) linked to their cards", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(now)
      const harness = yield* makeHarness(tasks)
      const since = yield* outboxNow
      yield* harness.deliver(task("/task First @bobby"))
      yield* harness.deliver(task("/task Second @oleg tomorrow 10:00"))
      yield* harness.deliver(task("/task Elsewhere", { threadId: 9 }))
      yield* harness.deliver(task("/task Finished"))
      const ids = yield* sendAll(since) // the cards have ids now: the list links to them
      yield* harness.deliver(press("tasks:done:4", ids[3]!))
      const before = (yield* harness.outbox).length
      for (const text of ["/tasks", "/tasks mine", "/tasks @OLEG", "/tasks all", "/tasks everything"])
        yield* harness.deliver(task(text))
      yield* harness.deliver(task("/tasks mine", { from: { ...oleg, id: 99, username: "nobody" } }))
      const answers = (yield* harness.outbox).slice(before).map((call) => call.params["text"])
      const link = (thread: number, id: number) => `https://t.me/c/1234567890/${thread}/${id}`
      expect(answers).toEqual([
        [
          "Open tasks of this topic (2):",
          `• <a href="${link(desk, ids[0]!)}">#1</a> First — @bobby`,
          `• <a href="${link(desk, ids[1]!)}">#2</a> Second — @oleg, due Fri 27 Nov 10:00 UTC`
        ].join("\n"),
        ["Your open tasks (1):", `• <a href="${link(desk, ids[0]!)}">#1</a> First — @bobby`].join("\n"),
        [
          "Open tasks of @OLEG (1):",
          `• <a href="${link(desk, ids[1]!)}">#2</a> Second — @oleg, due Fri 27 Nov 10:00 UTC`
        ].join("\n"),
        [
          "Open tasks (3):",
          `• <a href="${link(desk, ids[0]!)}">#1</a> First — @bobby`,
          `• <a href="${link(desk, ids[1]!)}">#2</a> Second — @oleg, due Fri 27 Nov 10:00 UTC`,
          `• <a href="${link(9, ids[2]!)}">#3</a> Elsewhere — nobody yet`
        ].join("\n"),
        "Usage: /tasks [mine|@user|all]: open tasks of this topic, yours, someone's, or all.",
        "Your open tasks: none."
      ])
    })
  )

  it.scoped("a due task reminds its assignee in its topic, answering the card; a done one does not", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(now)
      const harness = yield* makeHarness(tasks)
      const since = yield* outboxNow
      yield* harness.deliver(task("/task Call back in 1h"))
      yield* harness.deliver(task("/task Nobody's in 1h"))
      yield* harness.deliver(task("/task Already done in 1h"))
      yield* sendAll(since)
      yield* harness.deliver(press("tasks:take:1", 777, oleg))
      yield* harness.deliver(press("tasks:done:3", 779, oleg))
      const before = (yield* harness.outbox).length
      yield* harness.fire(`due:${team}:1`)
      yield* harness.fire(`due:${team}:2`)
      const reminders = (yield* harness.outbox).slice(before)
      expect(
        reminders.map((call) => [call.method, call.params["message_thread_id"], call.params["text"]])
      ).toEqual([
        ["sendMessage", desk, `⏰ <a href="tg://user?id=${oleg.id}">Oleg</a>, task #1 is due: Call back`],
        [
          "sendMessage",
          desk,
          `⏰ Task #2 is due and nobody has taken it, <a href="tg://user?id=${bob.id}">Bob</a>: Nobody's`
        ]
      ])
      expect(reminders[0]?.params["reply_parameters"]).toEqual({
        message_id: 777,
        allow_sending_without_reply: true
      })
      expect((reminders[1]?.params["reply_parameters"] as { message_id: number }).message_id).toBeGreaterThan(
        9000
      )
      expect(yield* harness.timers).toEqual([])
    })
  )

  it("refuses a time zone it does not know, naming the key", () => {
    expect(decodeConfig(tasks, { timeZone: "Mars/Olympus" })).toEqual(
      Either.left("config.timeZone: must be a time zone such as UTC or Europe/Berlin")
    )
    expect(Either.isRight(decodeConfig(tasks, { timeZone: "Europe/Berlin" }))).toBe(true)
  })
})
