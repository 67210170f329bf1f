import { Clock, Effect, Option, Schema } from "effect"
import { definePlugin, type PluginContext, type PluginEventOf } from "../../src/plugins/definePlugin.ts"

/** General's thread id. */
const GENERAL = 1

const defaultNotice = "General is for Backline's notices, so your message there was removed."

const Config = Schema.Struct({
  /** What the author is told; a pointer to Team chat follows it. */
  notice: Schema.optionalWith(
    Schema.String.pipe(
      Schema.minLength(1, { message: () => "must not be empty" }),
      Schema.maxLength(1000, { message: () => "must be at most 1000 characters" })
    ),
    { default: () => defaultNotice }
  ),
  /** The Team chat topic, when the group's topic kinds do not say (`/workspace use team here` does). */
  teamTopic: Schema.optional(
    Schema.Int.pipe(Schema.greaterThan(GENERAL, { message: () => "must be the thread id of a topic" }))
  ),
  /** An author is told at most once in this many minutes; their later messages go silently. */
  cooldownMinutes: Schema.optionalWith(Schema.Int.pipe(Schema.between(0, 1440)), { default: () => 10 }),
  /** A notice that had to go in General is removed after this many seconds (0 keeps it). */
  removeAfterSeconds: Schema.optionalWith(Schema.Int.pipe(Schema.between(0, 86_400)), { default: () => 120 })
})
type Config = typeof Config.Type
type Context = PluginContext<Config>
type Posted = PluginEventOf<"group.messagePosted">

const Team = Schema.Struct({ threadId: Schema.Number, name: Schema.NullOr(Schema.String) })
/** A notice sent privately, kept until Telegram says whether the author could get it. */
const Pending = Schema.Struct({ chatId: Schema.Number, name: Schema.String, text: Schema.String })

const noticeKey = (userId: number) => `notice:${userId}`
const removeTimer = (userId: number) => `remove:${userId}`
const mentionOf = (userId: number) => `<a href="tg://user?id=${userId}">`
const toldKey = (userId: number) => `told:${userId}`

const html = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")

/** A link to a topic of a supergroup, as Telegram's clients open it. */
const topicLink = (chatId: number, threadId: number) =>
  `https://t.me/c/${String(chatId).replace(/^-100/, "")}/${threadId}`

/** Telegram's service messages: someone joined, a pin, a topic or video chat event, ... */
const serviceFields = (
  "new_chat_members left_chat_member new_chat_title new_chat_photo delete_chat_photo group_chat_created supergroup_chat_created migrate_from_chat_id pinned_message " +
  "message_auto_delete_timer_changed forum_topic_created forum_topic_edited forum_topic_closed forum_topic_reopened general_forum_topic_hidden general_forum_topic_unhidden video_chat_scheduled video_chat_started " +
  "video_chat_ended video_chat_participants_invited write_access_allowed boost_added chat_background_set users_shared chat_shared proximity_alert_triggered"
).split(" ")

const isService = (event: Posted) => serviceFields.some((field) => field in event.message)

/** Messages the guard leaves alone without asking Telegram: service, bots, commands, on behalf of a chat. */
const leftAlone = (event: Posted) =>
  event.threadId !== GENERAL ||
  event.from === null || // anonymous admins and channels post on behalf of a chat
  event.from.is_bot ||
  event.message.sender_chat !== undefined ||
  isService(event) ||
  /^\/[A-Za-z0-9_]/.test(event.text ?? "") || // a command to a bot, answered where it was given
  event.fromAdmin

/** Where Team chat is: the topic of kind `team` the guard has seen, else `teamTopic`. */
const teamChat = (event: Posted, ctx: Context) =>
  Effect.map(ctx.storage.group.get("team", Team).pipe(Effect.orDie), (found) =>
    Option.orElse(found, () =>
      Option.map(Option.fromNullable(ctx.config.teamTopic), (threadId) => ({ threadId, name: null }))
    ).pipe(
      Option.map((team) => ({ ...team, link: topicLink(event.chatId, team.threadId) })),
      Option.getOrUndefined
    )
  )

const guard = (event: Posted, ctx: Context) =>
  Effect.gen(function* () {
    if (leftAlone(event) || (yield* ctx.isAdmin(event.from!.id))) return
    const author = event.from!
    yield* ctx.deleteMessage(event.chatId, event.messageId)
    const now = yield* Clock.currentTimeMillis
    const told = yield* ctx.storage.group.get(toldKey(author.id), Schema.Number).pipe(Effect.orDie)
    if (Option.isSome(told) && now - told.value < ctx.config.cooldownMinutes * 60_000) return
    yield* ctx.storage.group.set(toldKey(author.id), now)
    const team = yield* teamChat(event, ctx)
    const pointer =
      team === undefined
        ? " Chat with the team in the Team chat topic."
        : ` Chat with the team in Team chat: ${team.link}`
    const text = ctx.config.notice + pointer
    yield* ctx.storage.plugin.set(noticeKey(author.id), {
      chatId: event.chatId,
      name: author.first_name,
      text
    })
    yield* ctx.post({ chatId: author.id }, text)
  })

/** Records (or forgets) the Team chat topic as the group's topic kinds change. */
const track = (ctx: Context, threadId: number, kind: string, name: string | null) =>
  Effect.gen(function* () {
    const known = Option.getOrUndefined(yield* ctx.storage.group.get("team", Team).pipe(Effect.orDie))
    if (kind === "team") yield* ctx.storage.group.set("team", { threadId, name: name ?? known?.name ?? null })
    else if (known?.threadId === threadId) yield* ctx.storage.group.delete("team")
  })

export default definePlugin({
  id: "general-guard",
  description: "General is for system notices: members' chat there is removed and pointed to Team chat",
  config: Config,
  on: {
    "group.messagePosted": guard,
    "group.topicKindSet": (event, ctx) => track(ctx, event.threadId, event.kind, null),
    "group.topicRegistered": (event, ctx) =>
      event.kind === "team" ? track(ctx, event.threadId, event.kind, event.name) : Effect.void,
    // The private notice could not be sent (the author never started the bot): a short mention in General.
    "delivery.failed": (failed, ctx) =>
      Effect.gen(function* () {
        if (failed.method !== "sendMessage" || failed.chat_id <= 0) return
        const key = noticeKey(failed.chat_id)
        const pending = yield* ctx.storage.plugin.get(key, Pending).pipe(Effect.orDie)
        if (Option.isNone(pending)) return
        yield* ctx.storage.plugin.delete(key)
        const { chatId, name, text } = pending.value
        const mention = `${mentionOf(failed.chat_id)}${html(name)}</a>`
        yield* ctx.post({ chatId, threadId: GENERAL }, `${mention}, ${html(text)}`, { parse_mode: "HTML" })
        if (ctx.config.removeAfterSeconds > 0)
          yield* ctx.timers.set(removeTimer(failed.chat_id), `${ctx.config.removeAfterSeconds} seconds`, {
            type: "remove",
            chatId,
            userId: failed.chat_id
          })
      }),
    // The notice in General has done its job: it goes, so General keeps only system notices.
    "timer.fired": (fired, ctx) =>
      Effect.gen(function* () {
        if (!fired.name.startsWith("remove:")) return
        const chatId = Number(fired.event["chatId"])
        const userId = Number(fired.event["userId"])
        const sent = yield* ctx.sentMessages({ chatId, threadId: GENERAL }, 10)
        const notice = sent.find((message) => message.text?.startsWith(mentionOf(userId)) === true)
        if (notice !== undefined) yield* ctx.deleteMessage(chatId, notice.messageId)
      })
  }
})
