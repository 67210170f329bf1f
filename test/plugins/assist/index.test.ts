import { SqlClient } from "@effect/sql"
import { layer } from "@effect/vitest"
import { Clock, Effect, Either } from "effect"
import { afterAll, beforeAll, beforeEach, expect } from "vitest"
import assist from "../../../plugins/assist/index.ts"
import knowledgeBase from "../../../plugins/knowledge-base/index.ts"
import { decodeConfig } from "../../../src/plugins/PluginConfig.ts"
import {
  startChatCompletionsServer,
  type ChatCompletionsServer
} from "../../support/ChatCompletionsServer.ts"
import { MigratedDatabase } from "../../support/Gateway.ts"
import { buttonPress, groupCommand, harnessBot, makeHarness } from "../../support/PluginHarness.ts"

const team = -1003
const topic = 12
const client = 555001
const dana = { id: 21, first_name: "Dana", is_bot: false }
const where = { chatId: team, threadId: topic }

let server: ChatCompletionsServer
beforeAll(async () => {
  server = await startChatCompletionsServer()
})
afterAll(() => server.close())
beforeEach(() => {
  server.clear()
  server.respondWith(() => ({ text: "Hello Anna, your order ships tomorrow." }))
})

let updateId = Date.now()

/** A message as Backline received it (inbox), and the dialog's fact about it. */
const received = (
  chatId: number,
  messageId: number,
  text: string,
  from: { id: number; first_name: string }
) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const message = {
      message_id: messageId,
      date: 1,
      chat: { id: chatId },
      from: { ...from, is_bot: false },
      text
    }
    yield* sql`insert into inbox (connection_id, update_id, payload, status)
      values (${harnessBot}, ${updateId++}, ${JSON.stringify({ update_id: updateId, message })}::jsonb, 'done')`
  })

const clientWrote = (messageId: number) =>
  ({ type: "dialog.clientWrote", connection: harnessBot, peerId: client, ...where, messageId }) as const
const teamAnswered = (messageId: number) =>
  ({
    type: "dialog.teamAnswered",
    connection: harnessBot,
    peerId: client,
    ...where,
    messageId,
    by: dana.id
  }) as const

const inDialog = (text: string) => groupCommand({ ...where, text, from: dana, topicKind: "dialog" })

const config = () => ({ url: server.url, apiKey: "sk-test", model: "team-model" })

layer(MigratedDatabase, { timeout: 60_000 })("assist, through the plugin harness", (it) => {
  it("needs the backend's URL; refuses bad values naming the key", () => {
    expect(Either.isLeft(decodeConfig(assist, {}))).toBe(true)
    const bad = decodeConfig(assist, { url: "ftp://x", timeoutSeconds: 0 })
    expect(Either.isLeft(bad) && bad.left).toMatch(
      /config\.url: must be an http\(s\) URL.*config\.timeoutSeconds/
    )
    expect(Either.getOrThrow(decodeConfig(assist, { url: "http://127.0.0.1:8080" }))).toMatchObject({
      model: "gpt-4o-mini",
      timeoutSeconds: 8,
      historySize: 20
    })
  })

  it.scoped("/draft sends the dialog's recent history with the prompt and shows the draft with buttons", () =>
    Effect.gen(function* () {
      const harness = yield* makeHarness(assist, {
        config: { ...config(), historySize: 2, draftPrompt: "Be kind." }
      })
      yield* received(client, 1, "Hi, where is my order?", { id: client, first_name: "Anna" })
      yield* harness.deliver(clientWrote(1))
      yield* received(team, 501, "Let me check.", dana)
      yield* harness.deliver(teamAnswered(501))
      yield* received(client, 2, "Order 77, thanks", { id: client, first_name: "Anna" })
      yield* harness.deliver(clientWrote(2))
      const command = inDialog("/draft")
      yield* harness.deliver(command)
      expect(server.requests).toHaveLength(1)
      expect(server.requests[0]).toMatchObject({
        authorization: "Bearer sk-test",
        model: "team-model",
        // historySize 2: the oldest line is gone.
        messages: [
          { role: "system", content: "Be kind." },
          { role: "assistant", content: "Let me check." },
          { role: "user", content: "Order 77, thanks" }
        ]
      })
      const [draft] = yield* harness.outbox
      expect(draft).toMatchObject({
        method: "sendMessage",
        chatId: team,
        params: {
          message_thread_id: topic,
          parse_mode: "HTML",
          text: "<b>📝 Draft answer</b> (not sent yet)\n\nHello Anna, your order ships tomorrow.",
          reply_markup: {
            inline_keyboard: [
              [
                { text: "Send", callback_data: `assist:send:${command.messageId}` },
                { text: "Edit", callback_data: `assist:edit:${command.messageId}` },
                { text: "Discard", callback_data: `assist:discard:${command.messageId}` }
              ]
            ]
          }
        }
      })
      // Send: the dialog answers the client (as an operator would); the draft says it was sent.
      const press = buttonPress({
        ...where,
        data: `assist:send:${command.messageId}`,
        from: dana,
        messageId: 9001
      })
      yield* harness.deliver(press)
      expect(yield* harness.mail).toEqual([
        {
          actorKey: `dialog:${harnessBot}:${client}`,
          event: {
            type: "dialog.answer",
            text: "Hello Anna, your order ships tomorrow.",
            by: dana,
            via: "assist",
            replyTo: 9001
          }
        }
      ])
      const calls = (yield* harness.outbox).slice(1)
      expect(calls.map((call) => [call.method, call.chatId])).toEqual([
        ["editMessageText", team],
        ["answerCallbackQuery", team]
      ])
      expect(calls[0]!.params).toMatchObject({
        message_id: 9001,
        text: expect.stringMatching(/^✅ <b>Sent to the client<\/b> by Dana/) as string
      })
      // The dialog's `dialog.teamAnswered` carries the text: it joins the history without an inbox row.
      yield* harness.deliver({ ...teamAnswered(9500), text: "Hello Anna, your order ships tomorrow." })
      yield* harness.deliver(inDialog("/draft"))
      expect(server.requests[1]?.messages.at(-1)).toEqual({
        role: "assistant",
        content: "Hello Anna, your order ships tomorrow."
      })
      // A second press finds nothing to send.
      yield* harness.deliver(
        buttonPress({ ...where, data: `assist:send:${command.messageId}`, messageId: 9001 })
      )
      expect((yield* harness.outbox).at(-1)?.params["text"]).toBe(
        "This proposal was already used or discarded."
      )
    })
  )

  it.scoped("/draft adds the best knowledge-base entries, where that plugin is on in the group", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const kbGroup = -1004
      const kbWhere = { chatId: kbGroup, threadId: topic }
      const harness = yield* makeHarness(assist, {
        config: { ...config(), knowledgeResults: 1 },
        neighbours: [{ plugin: knowledgeBase }]
      })
      yield* sql`delete from plugin_state where plugin_id = 'knowledge-base' and chat_id = ${kbGroup}`
      yield* sql`delete from plugin_setting where plugin_id = 'knowledge-base' and chat_id = ${kbGroup}`
      const entry = (messageId: number, title: string, text: string) => ({
        title,
        text,
        tags: [],
        links: [],
        author: "Dana",
        authorId: dana.id,
        date: "2026-01-01T00:00:00Z",
        threadId: 5,
        messageId,
        link: `https://t.me/c/4/5/${messageId}`
      })
      for (const [key, value] of [
        ["entry:1", entry(1, "Refunds", "Refunds are paid back to the card within 5 days.")],
        ["entry:2", entry(2, "Shipping", "Orders ship within 2 days; tracking comes by email.")],
        ["note", { title: "Shipping notes", text: "not an entry" }]
      ] as const)
        yield* sql`insert into plugin_state (plugin_id, chat_id, thread_id, key, value)
          values ('knowledge-base', ${kbGroup}, 0, ${key}, ${JSON.stringify(value)}::jsonb)`
      yield* received(client, 6, "When does my order ship?", { id: client, first_name: "Anna" })
      const wrote = { ...clientWrote(6), chatId: kbGroup }
      yield* harness.deliver(wrote)
      const draft = groupCommand({ ...kbWhere, text: "/draft", from: dana, topicKind: "dialog" })
      yield* harness.deliver(draft)
      expect(server.requests[0]?.messages).toEqual([
        { role: "system", content: expect.stringMatching(/^You are a support agent/) as string },
        {
          role: "system",
          content: expect.stringMatching(
            /knowledge base[^]*\n\n1\. Shipping \(https:\/\/t\.me\/c\/4\/5\/2\)\nOrders ship within 2 days; tracking comes by email\.$/
          ) as string
        },
        { role: "user", content: "When does my order ship?" }
      ])
      // Turned off in the group: the draft goes without it.
      yield* harness.settings.setEnabled("knowledge-base", { chatId: kbGroup }, false)
      yield* harness.deliver(groupCommand({ ...kbWhere, text: "/draft", from: dana, topicKind: "dialog" }))
      expect(server.requests[1]?.messages.map((message) => message.role)).toEqual(["system", "user"])
      // On only in one topic of the group (its Knowledge base topic): on for the group's drafts.
      yield* harness.settings.setEnabled("knowledge-base", { chatId: kbGroup, threadId: 5 }, true)
      yield* harness.deliver(groupCommand({ ...kbWhere, text: "/draft", from: dana, topicKind: "dialog" }))
      expect(server.requests[2]?.messages).toHaveLength(3)
      // Where the knowledge-base plugin is not installed, its storage reads as nothing.
      const alone = yield* makeHarness(assist, { config: { ...config(), knowledgeResults: 1 } })
      yield* alone.deliver(wrote)
      yield* alone.deliver(groupCommand({ ...kbWhere, text: "/draft", from: dana, topicKind: "dialog" }))
      expect(server.requests[3]?.messages.map((message) => message.role)).toEqual(["system", "user"])
    })
  )

  it.scoped("Edit hands the text over to copy; Discard deletes the draft", () =>
    Effect.gen(function* () {
      const harness = yield* makeHarness(assist, { config: config() })
      yield* received(client, 3, "Can I pay by card?", { id: client, first_name: "Anna" })
      yield* harness.deliver(clientWrote(3))
      const first = inDialog("/draft")
      yield* harness.deliver(first)
      yield* harness.deliver(
        buttonPress({ ...where, data: `assist:edit:${first.messageId}`, messageId: 9100 })
      )
      const second = inDialog("/draft")
      yield* harness.deliver(second)
      yield* harness.deliver(
        buttonPress({ ...where, data: `assist:discard:${second.messageId}`, messageId: 9101 })
      )
      const calls = yield* harness.outbox
      expect(calls.map((call) => call.method)).toEqual([
        "sendMessage",
        "editMessageText",
        "answerCallbackQuery",
        "sendMessage",
        "deleteMessage",
        "answerCallbackQuery"
      ])
      expect(calls[1]!.params["text"]).toMatch(/<pre>Hello Anna, your order ships tomorrow\.<\/pre>$/)
      expect(calls[4]!.params).toMatchObject({ message_id: 9101 })
      expect(calls.some((call) => call.chatId === client)).toBe(false)
    })
  )

  it.scoped(
    "/fix corrects the replied text or the command's own; a failing backend gives one clear note",
    () =>
      Effect.gen(function* () {
        const harness = yield* makeHarness(assist, { config: { ...config(), fixPrompt: "Fix it." } })
        server.respondWith(() => ({ text: "I have a question." }))
        yield* harness.deliver(inDialog("/fix i has a question"))
        expect(server.requests[0]?.messages).toEqual([
          { role: "system", content: "Fix it." },
          { role: "user", content: "i has a question" }
        ])
        const [fixed] = yield* harness.outbox
        expect(fixed!.params["text"]).toBe("<b>✏️ Corrected</b> (not sent yet)\n\nI have a question.")
        expect(fixed!.params["reply_markup"]).toMatchObject({
          inline_keyboard: [[{ text: "Send" }, { text: "Discard" }]]
        })
        server.respondWith(() => ({ status: 503, error: "model is loading" }))
        expect(yield* harness.deliver(inDialog("/fix teh text"))).toEqual({ _tag: "Handled" })
        yield* harness.deliver(inDialog("/fix"))
        expect((yield* harness.outbox).slice(1).map((call) => call.params["text"])).toEqual([
          "⚠️ No correction: the assistant is unavailable (HTTP 503: model is loading).",
          "Reply /fix to your text (or write /fix <text>) to have it corrected."
        ])
      })
  )

  it.scoped("a backend that does not answer in time, or answers nonsense, gives one note each", () =>
    Effect.gen(function* () {
      const harness = yield* makeHarness(assist, { config: { ...config(), timeoutSeconds: 1 } })
      server.respondWith(() => ({ hang: true }))
      expect(yield* harness.deliver(inDialog("/fix teh text"))).toEqual({ _tag: "Handled" })
      server.respondWith(() => ({ raw: "<html>proxy error</html>" }))
      yield* harness.deliver(inDialog("/fix teh text"))
      expect((yield* harness.outbox).map((call) => call.params["text"])).toEqual([
        `⚠️ No correction: the assistant is unavailable (${server.url}/v1/chat/completions did not answer within 1s).`,
        expect.stringMatching(/^⚠️ No correction: the assistant is unavailable \(not a chat completion: /)
      ])
      // The real clock, as in Backline: the backend's timeout has to run out.
    }).pipe(Effect.withClock(Clock.make()))
  )

  it.scoped("where the plugin is disabled, nothing is kept and nothing reaches the backend", () =>
    Effect.gen(function* () {
      const harness = yield* makeHarness(assist, { config: config() })
      yield* harness.settings.setEnabled("assist", where, false)
      yield* received(client, 4, "My address is 1 Main St", { id: client, first_name: "Anna" })
      expect(yield* harness.deliver(clientWrote(4))).toEqual({ _tag: "Skipped" })
      expect(yield* harness.deliver(inDialog("/draft"))).toEqual({ _tag: "Skipped" })
      expect(yield* harness.deliver(inDialog("/fix my adress"))).toEqual({ _tag: "Skipped" })
      expect(server.requests).toEqual([])
      expect(yield* harness.storage(where)).toEqual({})
      expect(yield* harness.outbox).toEqual([])
      // Outside a client's topic /draft says where it works, without calling the backend.
      yield* harness.deliver(groupCommand({ chatId: team, threadId: 3, text: "/draft", from: dana }))
      expect((yield* harness.outbox).map((call) => call.params["text"])).toEqual([
        "/draft works in a client's topic."
      ])
      expect(server.requests).toEqual([])
    })
  )
})
