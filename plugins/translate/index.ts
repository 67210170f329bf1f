import { Duration, Effect, Option, Schedule, Schema } from "effect"
import type { Message } from "grammy/types"
import { makeChatCompletions } from "../../src/assistants/ChatCompletions.ts"
import { makeChatTranslator, makeLibreTranslate, type Translator } from "../../src/assistants/Translation.ts"
import { definePlugin, type PluginContext, type PluginEventOf } from "../../src/plugins/definePlugin.ts"

const code = Schema.String.pipe(
  Schema.pattern(/^[a-z]{2}$/, { message: () => "must be a two-letter language code (en, de, fr)" })
)

const Config = Schema.Struct({
  /** `libretranslate`: a LibreTranslate-compatible API; `chat`: an OpenAI-compatible chat-completions endpoint. */
  backend: Schema.optionalWith(Schema.Literal("libretranslate", "chat"), {
    default: () => "libretranslate" as const
  }),
  url: Schema.String.pipe(
    Schema.pattern(/^https?:\/\/\S+$/, { message: () => "must be an http:// or https:// URL" })
  ),
  apiKey: Schema.optional(Schema.String),
  /** The chat model (backend `chat`). */
  model: Schema.optionalWith(Schema.NonEmptyString, { default: () => "gpt-4o-mini" }),
  /** The team's language: what `/tr` without a language and auto mode translate into. */
  teamLanguage: Schema.optionalWith(code, { default: () => "en" }),
  /** Translate each client message in its topic into the team's language. */
  auto: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  timeoutSeconds: Schema.optionalWith(
    Schema.Number.pipe(Schema.between(1, 8, { message: () => "must be from 1 to 8 seconds" })),
    { default: () => 8 }
  )
})
type Config = typeof Config.Type
type Ctx = PluginContext<Config>

/** What auto mode learned of a client topic, for `/tr send`. */
const Client = Schema.Struct({ peerId: Schema.Number, language: Schema.String })

const translatorOf = (ctx: Ctx): Translator => {
  const { backend, url, apiKey, model } = ctx.config
  const timeout = Duration.seconds(ctx.config.timeoutSeconds)
  return backend === "chat"
    ? makeChatTranslator(makeChatCompletions(ctx.http, { baseUrl: url, apiKey, model, timeout }))
    : makeLibreTranslate(ctx.http, { baseUrl: url, apiKey, timeout })
}

const textOf = (message: Message) => message.text ?? message.caption

const failed = (message: string) => `⚠️ Not translated: ${message}`

// In a forum topic every message "replies" to the topic's first message: that is no reply.
const repliedTo = (event: PluginEventOf<"group.commandIssued">) => {
  const reply = event.message.reply_to_message
  return reply === undefined || reply.forum_topic_created !== undefined || reply.message_id === event.threadId
    ? undefined
    : reply
}

const usage =
  "Reply to a message with /tr [language] to translate it (/tr de), or write /tr send <text> in a client's topic."

/** `/tr [lang]` as a reply, and `/tr send <text>` in a client topic. */
const command = (event: PluginEventOf<"group.commandIssued">, ctx: Ctx) =>
  Effect.gen(function* () {
    const [first = "", ...rest] = event.args.split(/\s+/).filter((word) => word !== "")
    if (first.toLowerCase() === "send") return yield* sendToClient(rest.join(" "), event, ctx)
    const target = first === "" ? ctx.config.teamLanguage : first.toLowerCase()
    if (!/^[a-z]{2}$/.test(target) || rest.length > 0) return yield* ctx.reply(usage)
    const reply = repliedTo(event)
    if (reply === undefined) return yield* ctx.reply(usage)
    const text = textOf(reply)
    if (text === undefined || text.trim() === "")
      return yield* ctx.reply("That message has no text to translate.")
    const done = yield* Effect.either(translatorOf(ctx).translate(text, target))
    if (done._tag === "Left") return yield* ctx.reply(failed(done.left.message))
    yield* ctx.post(
      { chatId: event.chatId, threadId: event.threadId },
      `🌐 ${done.right.source ?? "?"} → ${target}:\n${done.right.text}`,
      {
        reply_parameters: { message_id: reply.message_id, allow_sending_without_reply: true }
      }
    )
  })

/** Translates the operator's answer into the client's language and sends it to the client. */
const sendToClient = (text: string, event: PluginEventOf<"group.commandIssued">, ctx: Ctx) =>
  Effect.gen(function* () {
    if (text.trim() === "") return yield* ctx.reply(usage)
    const client = yield* ctx.storage.topic.get("client", Client).pipe(Effect.orElseSucceed(Option.none))
    if (Option.isNone(client))
      return yield* ctx.reply(
        "/tr send works in a client's topic once the client has written (with auto on)."
      )
    const { peerId, language } = client.value
    const done = yield* Effect.either(translatorOf(ctx).translate(text, language, ctx.config.teamLanguage))
    if (done._tag === "Left") return yield* ctx.reply(`${failed(done.left.message)} Nothing was sent.`)
    if (event.from === null) return yield* ctx.reply(usage)
    // Through the dialog, as an operator's answer (answered, mapped for replies), replying to /tr send.
    yield* ctx.send("dialog", `${event.connection}:${peerId}`, {
      type: "dialog.answer",
      text: done.right.text,
      by: event.from,
      via: "translate",
      replyTo: event.messageId
    })
    yield* ctx.reply(`🌐 Sent to the client in ${language}:\n${done.right.text}`)
  })

/** Auto mode: a client's message in another language gets its translation below it in the topic. */
const clientWrote = (event: PluginEventOf<"dialog.clientWrote">, ctx: Ctx) =>
  Effect.gen(function* () {
    if (!ctx.config.auto) return
    // The Sender copies the message into the topic right after the dialog journals it: wait briefly.
    const found = yield* ctx.clientMessage(event).pipe(
      Effect.filterOrFail(
        (found) => Option.isNone(found) || found.value.copyId !== undefined,
        () => "no copy yet"
      ),
      Effect.retry(Schedule.spaced("100 millis").pipe(Schedule.intersect(Schedule.recurs(15)))),
      Effect.orElse(() => ctx.clientMessage(event))
    )
    const text = Option.isSome(found) ? textOf(found.value.message) : undefined
    if (text === undefined || text.trim() === "" || text.startsWith("/")) return
    const place = { chatId: event.chatId, threadId: event.threadId }
    const copyId = Option.isSome(found) ? found.value.copyId : undefined
    const options =
      copyId === undefined
        ? {}
        : { reply_parameters: { message_id: copyId, allow_sending_without_reply: true } }
    const done = yield* Effect.either(translatorOf(ctx).translate(text, ctx.config.teamLanguage))
    if (done._tag === "Left") return yield* ctx.post(place, failed(done.left.message), options)
    const source = done.right.source
    if (source === undefined || source === ctx.config.teamLanguage || source === "und") return
    yield* ctx.storage.topic.set("client", { peerId: event.peerId, language: source })
    yield* ctx.post(
      place,
      `🌐 Translation (${source} → ${ctx.config.teamLanguage}):\n${done.right.text}`,
      options
    )
  })

export default definePlugin({
  id: "translate",
  description: "Translates messages with /tr, and clients' messages into the team's language",
  config: Config,
  on: { "dialog.clientWrote": clientWrote },
  commands: [
    {
      name: "tr",
      description: "Translate the message replied to (into the team's language, or the one named)",
      args: "[language] | send <text>",
      run: command
    }
  ]
})
