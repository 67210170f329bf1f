import { layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Effect, Either, TestServices } from "effect"
import { expect } from "vitest"
import translate from "../../../plugins/translate/index.ts"
import type { PluginEventOf } from "../../../src/plugins/definePlugin.ts"
import { decodeConfig } from "../../../src/plugins/PluginConfig.ts"
import { startChatCompletionsServer } from "../../support/ChatCompletionsServer.ts"
import { MigratedDatabase } from "../../support/Gateway.ts"
import { startLibreTranslateServer, type PhraseBook } from "../../support/LibreTranslateServer.ts"
import { groupCommand, groupMessage, harnessBot, makeHarness } from "../../support/PluginHarness.ts"

const team = -1001
const thread = 9
const book: PhraseBook = {
  "Wo ist meine Bestellung?": { language: "de", en: "Where is my order?" },
  "Your order ships today.": { language: "en", de: "Ihre Bestellung wird heute versandt." },
  "Good morning": { language: "en", de: "Guten Morgen" }
}

const live = TestServices.provideLive

const libre = (options: { apiKey?: string } = {}) =>
  Effect.acquireRelease(
    Effect.promise(() => startLibreTranslateServer(book, options)),
    (server) => Effect.promise(() => server.close())
  )

/** `/tr ...` written in the team topic as a reply to `replyTo`. */
const trReply = (text: string, replyTo?: Record<string, unknown>) => {
  const base = groupCommand({ chatId: team, threadId: thread, text })
  return (
    replyTo === undefined ? base : { ...base, message: { ...base.message, reply_to_message: replyTo } }
  ) as PluginEventOf<"group.commandIssued">
}
const said = (text: string, messageId = 70) => ({
  ...groupMessage({ chatId: team, threadId: thread, text, messageId }).message
})

const texts = (outbox: ReadonlyArray<{ params: Record<string, unknown> }>) =>
  outbox.map((call) => call.params["text"])

layer(MigratedDatabase, { timeout: 60_000 })("translate, through the plugin harness", (it) => {
  it("refuses a configuration without a URL, with an unknown backend or language, naming the key", () => {
    const message = (config: Record<string, unknown>) =>
      Either.match(decodeConfig(translate, config), { onLeft: (left) => left, onRight: () => "" })
    expect(message({})).toContain("url")
    expect(message({ url: "http://lt", backend: "google" })).toContain("backend")
    expect(message({ url: "http://lt", teamLanguage: "english" })).toContain(
      "must be a two-letter language code (en, de, fr)"
    )
    expect(decodeConfig(translate, { url: "http://lt" })).toEqual(
      Either.right({
        backend: "libretranslate",
        url: "http://lt",
        model: "gpt-4o-mini",
        teamLanguage: "en",
        auto: false,
        timeoutSeconds: 8
      })
    )
  })

  it.scoped("/tr [lang] as a reply translates that message; without a reply or text it says how", () =>
    live(
      Effect.gen(function* () {
        const server = yield* libre({ apiKey: "lt-key" })
        const harness = yield* makeHarness(translate, { config: { url: server.url, apiKey: "lt-key" } })
        yield* harness.deliver(trReply("/tr", said("Wo ist meine Bestellung?", 70)))
        yield* harness.deliver(trReply("/tr de", said("Good morning", 71)))
        yield* harness.deliver(trReply("/tr"))
        yield* harness.deliver(trReply("/tr", { ...said("", 9), forum_topic_created: { name: "x" } }))
        yield* harness.deliver(
          trReply("/tr", { message_id: 72, date: 1, chat: { id: team, type: "supergroup" } })
        )
        const outbox = yield* harness.outbox
        expect(
          outbox.slice(0, 2).map((call) => [call.params["text"], call.params["reply_parameters"]])
        ).toEqual([
          ["🌐 de → en:\nWhere is my order?", { message_id: 70, allow_sending_without_reply: true }],
          ["🌐 en → de:\nGuten Morgen", { message_id: 71, allow_sending_without_reply: true }]
        ])
        const usage =
          "Reply to a message with /tr [language] to translate it (/tr de), or write /tr send <text> in a client's topic."
        expect(texts(outbox.slice(2))).toEqual([usage, usage, "That message has no text to translate."])
        expect(server.requests[0]).toEqual({
          path: "/translate",
          body: {
            q: "Wo ist meine Bestellung?",
            source: "auto",
            target: "en",
            format: "text",
            api_key: "lt-key"
          }
        })
        // A failing service: one note, the delivery is handled (not retried).
        server.failWith({ status: 500, error: "translation model crashed" })
        expect(yield* harness.deliver(trReply("/tr", said("Wo ist meine Bestellung?")))).toEqual({
          _tag: "Handled"
        })
        expect(texts(yield* harness.outbox).at(-1)).toBe(
          `⚠️ Not translated: ${server.url}/translate: HTTP 500: translation model crashed`
        )
      })
    )
  )

  it.scoped("the chat-completions backend detects the language and translates", () =>
    live(
      Effect.gen(function* () {
        const chat = yield* Effect.acquireRelease(
          Effect.promise(() =>
            startChatCompletionsServer((request) => ({
              text: request.messages[0]!.content.startsWith("Name the language") ? "de" : "Where is my order?"
            }))
          ),
          (server) => Effect.promise(() => server.close())
        )
        const harness = yield* makeHarness(translate, {
          config: { backend: "chat", url: chat.url, apiKey: "sk-chat", model: "small" }
        })
        yield* harness.deliver(trReply("/tr en", said("Wo ist meine Bestellung?", 80)))
        expect(texts(yield* harness.outbox)).toEqual(["🌐 de → en:\nWhere is my order?"])
        expect(chat.requests.map((request) => [request.model, request.authorization])).toEqual([
          ["small", "Bearer sk-chat"],
          ["small", "Bearer sk-chat"]
        ])
        expect(chat.requests[1]!.messages).toEqual([
          {
            role: "system",
            content:
              'Translate the user\'s message into the language with the ISO 639-1 code "en". Answer with the translation only, keeping names, numbers and formatting.'
          },
          { role: "user", content: "Wo ist meine Bestellung?" }
        ])
      })
    )
  )

  it.scoped(
    "auto mode translates a client's message below its copy; /tr send answers in the client's language",
    () =>
      live(
        Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          const server = yield* libre()
          const harness = yield* makeHarness(translate, { config: { url: server.url, auto: true } })
          const client = 5151
          const write = (messageId: number, text: string, copyId: number) =>
            Effect.gen(function* () {
              const message = { message_id: messageId, date: 1, chat: { id: client, type: "private" }, text }
              yield* sql`insert into inbox (connection_id, update_id, payload, status)
              values (${harnessBot}, ${880000 + messageId}, ${JSON.stringify({ update_id: 880000 + messageId, message })}::jsonb, 'done')`
              const [row] = yield* sql<{ id: string }>`
              insert into outbox (connection_id, chat_id, method, params, actor_key, cause, status)
              values (${harnessBot}, ${team}, 'copyMessage', '{}'::jsonb, 'dialog:x', 'test', 'sent') returning id`
              yield* sql`insert into message_map (outbox_id, connection_id, chat_id, message_id, source_chat_id, source_message_id)
              values (${row!.id}, ${harnessBot}, ${team}, ${copyId}, ${client}, ${messageId})`
              yield* harness.deliver({
                type: "dialog.clientWrote",
                connection: harnessBot,
                peerId: client,
                chatId: team,
                threadId: thread,
                messageId
              })
            })
          yield* write(31, "Wo ist meine Bestellung?", 601)
          yield* write(32, "Good morning", 602) // already the team's language: nothing
          yield* harness.deliver(
            groupCommand({ chatId: team, threadId: thread, text: "/tr send Your order ships today." })
          )
          const sent = (yield* harness.outbox).map((call) => [
            call.chatId,
            call.params["text"],
            call.params["reply_parameters"]
          ])
          expect(sent).toEqual([
            [
              team,
              "🌐 Translation (de → en):\nWhere is my order?",
              { message_id: 601, allow_sending_without_reply: true }
            ],
            [team, "🌐 Sent to the client in de:\nIhre Bestellung wird heute versandt.", expect.anything()]
          ])
          // The answer goes through the client's dialog, as an operator's answer.
          expect(yield* harness.mail).toEqual([
            {
              actorKey: `dialog:${harnessBot}:${client}`,
              event: {
                type: "dialog.answer",
                text: "Ihre Bestellung wird heute versandt.",
                by: expect.objectContaining({ is_bot: false }) as unknown,
                via: "translate",
                replyTo: expect.any(Number) as unknown
              }
            }
          ])
          expect(yield* harness.storage({ chatId: team, threadId: thread })).toEqual({
            client: { peerId: client, language: "de" }
          })
        })
      )
  )
})
