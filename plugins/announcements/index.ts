import { Effect, Option, Schema } from "effect"
import type { Author } from "../../machines/index.ts"
import { definePlugin, type PluginContext, type PluginEventOf } from "../../src/plugins/definePlugin.ts"

/**
 * An admin posted in an announcements topic (commands left out): what this plugin emits for
 * other plugins, which subscribe with `on: { "announcements.posted": (event, ctx) => ... }`.
 *
 * @example
 * const link = (event: AnnouncementPosted) => `https://t.me/c/${-event.chatId - 1e12}/${event.messageId}`
 */
export interface AnnouncementPosted {
  readonly type: "announcements.posted"
  /** The bot the post came through. */
  readonly connection: string
  readonly chatId: number
  readonly threadId: number
  readonly messageId: number
  /** The admin, or `null` for a post on behalf of the group (an anonymous admin). */
  readonly from: Author | null
  /** The text or caption, `null` when it has neither. */
  readonly text: string | null
  /** Whether this plugin pinned it (`pin` is on). */
  readonly pinned: boolean
}

declare module "../../src/plugins/definePlugin.ts" {
  interface PluginEmittedEvents {
    "announcements.posted": AnnouncementPosted
  }
}

/** General's thread id: never an announcements topic, and where notices go when no private chat can. */
const GENERAL = 1

const defaultNotice = "Only admins post in the announcements topic, so your message there was removed."

const Config = Schema.Struct({
  /** A topic that holds announcements besides those marked with `/announcements here`. */
  topic: Schema.optional(
    Schema.Int.pipe(Schema.greaterThan(GENERAL, { message: () => "must be the thread id of a topic" }))
  ),
  notice: Schema.optionalWith(
    Schema.String.pipe(
      Schema.minLength(1, { message: () => "must not be empty" }),
      Schema.maxLength(1000, { message: () => "must be at most 1000 characters" })
    ),
    { default: () => defaultNotice }
  ),
  pin: Schema.optionalWith(Schema.Boolean, { default: () => false })
})
type Config = typeof Config.Type

/** A notice sent privately, kept until Telegram says whether the user could get it. */
const Pending = Schema.Struct({ chatId: Schema.Number, name: Schema.String, notice: Schema.String })

const noticeKey = (userId: number) => `notice:${userId}`

const html = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")

type Posted = PluginEventOf<"group.messagePosted">

const inAnnouncements = (event: Posted, config: Config) =>
  event.topicKind === "announcements" || (config.topic !== undefined && event.threadId === config.topic)

// A post on behalf of the group itself comes from an anonymous admin.
const byAdmin = (event: Posted, ctx: PluginContext<Config>) =>
  event.from === null
    ? Effect.succeed(event.message.sender_chat?.id === event.chatId)
    : ctx.isAdmin(event.from.id)

const announce = (event: Posted, ctx: PluginContext<Config>) =>
  Effect.gen(function* () {
    if (event.text?.startsWith("/") === true) return // a command, not an announcement
    if (ctx.config.pin)
      yield* ctx.call("pinChatMessage", { chat_id: event.chatId, message_id: event.messageId })
    yield* ctx.emit({
      type: "announcements.posted",
      connection: event.connection,
      chatId: event.chatId,
      threadId: event.threadId,
      messageId: event.messageId,
      from: event.from,
      text: event.text,
      pinned: ctx.config.pin
    })
  })

// The notice goes privately; if Telegram refuses (the user never started the bot), to General.
const refuse = (event: Posted, ctx: PluginContext<Config>) =>
  Effect.gen(function* () {
    yield* ctx.deleteMessage(event.chatId, event.messageId)
    if (event.from === null || event.from.is_bot) return
    const pending = { chatId: event.chatId, name: event.from.first_name, notice: ctx.config.notice }
    yield* ctx.storage.plugin.set(noticeKey(event.from.id), pending)
    yield* ctx.post({ chatId: event.from.id }, ctx.config.notice)
  })

export default definePlugin({
  id: "announcements",
  description: "Only admins post in the announcements topic; their posts can be pinned",
  config: Config,
  on: {
    "group.messagePosted": (event, ctx) =>
      inAnnouncements(event, ctx.config)
        ? Effect.flatMap(byAdmin(event, ctx), (admin) => (admin ? announce(event, ctx) : refuse(event, ctx)))
        : Effect.void,
    "delivery.failed": (failed, ctx) =>
      Effect.gen(function* () {
        if (failed.method !== "sendMessage" || failed.chat_id <= 0) return
        const key = noticeKey(failed.chat_id)
        const pending = yield* ctx.storage.plugin.get(key, Pending)
        if (Option.isNone(pending)) return
        yield* ctx.storage.plugin.delete(key)
        const { chatId, name, notice } = pending.value
        const mention = `<a href="tg://user?id=${failed.chat_id}">${html(name)}</a>`
        yield* ctx.post({ chatId }, `${mention}, ${html(notice)}`, { parse_mode: "HTML" })
      })
  },
  commands: [
    {
      name: "announcements",
      description: "Make this topic the team's announcements, where only admins post",
      args: "here",
      adminOnly: true,
      run: (command, ctx) => {
        if (command.args.toLowerCase() !== "here")
          return ctx.reply("Write /announcements here in the topic that is to hold the announcements.")
        if (command.threadId === GENERAL)
          return ctx.reply("General stays open to everyone: write /announcements here in a topic.")
        return Effect.zipRight(
          ctx.send("group", command.chatId, {
            type: "group.setTopicKind",
            threadId: command.threadId,
            kind: "announcements"
          }),
          ctx.reply("This topic now holds the team's announcements: only admins post here.")
        )
      }
    }
  ]
})
