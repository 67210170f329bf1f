import { Data, Either, ParseResult, Schema } from "effect"
import type { CallbackQuery, ChatMemberUpdated, Message, Update } from "grammy/types"
import { ChatId, ConnectionId, TopicId, UserId } from "./Ids.ts"

/**
 * A Telegram `update_id`: increasing per bot, the key of the inbox with the connection id.
 *
 * @example
 * const id = UpdateId.make(815000001)
 */
export const UpdateId = Schema.Number.pipe(Schema.int(), Schema.nonNegative(), Schema.brand("UpdateId"))
export type UpdateId = typeof UpdateId.Type

/**
 * A Telegram `message_id`, unique within its chat.
 *
 * @example
 * const id = MessageId.make(42)
 */
export const MessageId = Schema.Number.pipe(Schema.int(), Schema.positive(), Schema.brand("MessageId"))
export type MessageId = typeof MessageId.Type

/**
 * The chat an event happened in, with Telegram's field names (a subset of grammY's `Chat`).
 *
 * @example
 * const chat: ChatRef = { id: ChatId.make(-1001234567890), type: "supergroup", title: "Team", is_forum: true }
 */
export const ChatRef = Schema.Struct({
  id: ChatId,
  type: Schema.Literal("private", "group", "supergroup", "channel"),
  title: Schema.optional(Schema.String),
  username: Schema.optional(Schema.String),
  is_forum: Schema.optional(Schema.Boolean)
})
export type ChatRef = typeof ChatRef.Type

/**
 * A person or bot, with Telegram's field names (a subset of grammY's `User`).
 *
 * @example
 * const alice: TelegramUser = { id: UserId.make(1000004), is_bot: false, first_name: "Alice" }
 */
export const TelegramUser = Schema.Struct({
  id: UserId,
  is_bot: Schema.Boolean,
  first_name: Schema.String,
  last_name: Schema.optional(Schema.String),
  username: Schema.optional(Schema.String),
  language_code: Schema.optional(Schema.String),
  is_premium: Schema.optional(Schema.Boolean)
})
export type TelegramUser = typeof TelegramUser.Type

/**
 * One reaction: an emoji, a custom emoji or a paid star reaction.
 *
 * @example
 * const thumbsUp: Reaction = { type: "emoji", emoji: "👍" }
 */
export const Reaction = Schema.Union(
  Schema.Struct({ type: Schema.Literal("emoji"), emoji: Schema.String }),
  Schema.Struct({ type: Schema.Literal("custom_emoji"), custom_emoji_id: Schema.String }),
  Schema.Struct({ type: Schema.Literal("paid") })
)
export type Reaction = typeof Reaction.Type

/**
 * A chat member's status, as Telegram names it.
 *
 * @example
 * const status: MemberStatus = "administrator"
 */
export const MemberStatus = Schema.Literal(
  "creator",
  "administrator",
  "member",
  "restricted",
  "left",
  "kicked"
)
export type MemberStatus = typeof MemberStatus.Type

const isObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

// The original Telegram objects travel with the events untouched; only their shape is checked
// here, because the fields Backline routes on are decoded strictly beside them.

/**
 * The original grammY `Message` (every field Telegram sent), checked loosely.
 *
 * @example
 * const text = event.message.text ?? event.message.caption ?? ""
 */
export const TelegramMessage = Schema.declare(
  (u): u is Message => isObject(u) && typeof u["message_id"] === "number" && isObject(u["chat"]),
  { identifier: "Message" }
)

/**
 * The original grammY `CallbackQuery`, checked loosely.
 *
 * @example
 * const button = event.query.data
 */
export const TelegramCallbackQuery = Schema.declare(
  (u): u is CallbackQuery => isObject(u) && typeof u["id"] === "string" && isObject(u["from"]),
  { identifier: "CallbackQuery" }
)

/**
 * The original grammY `ChatMemberUpdated`, checked loosely.
 *
 * @example
 * const until = event.change.new_chat_member.status === "kicked" ? event.change.new_chat_member.until_date : 0
 */
export const TelegramChatMemberUpdated = Schema.declare(
  (u): u is ChatMemberUpdated => isObject(u) && isObject(u["chat"]) && isObject(u["new_chat_member"]),
  { identifier: "ChatMemberUpdated" }
)

const origin = { connection: ConnectionId, updateId: UpdateId }

const messageFields = {
  ...origin,
  chat: ChatRef,
  /** The forum topic the message is in; absent in General and outside forums. */
  threadId: Schema.optional(TopicId),
  from: Schema.optional(TelegramUser),
  messageId: MessageId,
  message: TelegramMessage
}

/**
 * Someone wrote: a new message in a private chat, group or forum topic (not a forum service message).
 *
 * @example
 * on: { "message.received": (event) => event.chat.type === "private" && event.message.text === "/start" }
 */
export const MessageReceived = Schema.Struct({ type: Schema.Literal("message.received"), ...messageFields })
export type MessageReceived = typeof MessageReceived.Type

/**
 * Someone edited a message; `message` is the new version (with `edit_date`).
 *
 * @example
 * on: { "message.edited": (event) => log(`${event.messageId} now reads ${event.message.text}`) }
 */
export const MessageEdited = Schema.Struct({ type: Schema.Literal("message.edited"), ...messageFields })
export type MessageEdited = typeof MessageEdited.Type

/**
 * A post in a channel the bot administers (`from` is absent; `message.sender_chat` is the channel).
 *
 * @example
 * on: { "channel.posted": (event) => mirror(event.chat.title, event.message) }
 */
export const ChannelPosted = Schema.Struct({
  type: Schema.Literal("channel.posted"),
  ...origin,
  chat: ChatRef,
  messageId: MessageId,
  message: TelegramMessage
})
export type ChannelPosted = typeof ChannelPosted.Type

/**
 * Someone pressed an inline button. `chat`, `threadId` and `messageId` locate the button's message
 * when Telegram says where it is (not for inline-mode messages).
 *
 * @example
 * on: { "callback.pressed": (event) => event.data === "close" && closeTopic(event.threadId) }
 */
export const CallbackPressed = Schema.Struct({
  type: Schema.Literal("callback.pressed"),
  ...origin,
  callbackId: Schema.String,
  from: TelegramUser,
  data: Schema.optional(Schema.String),
  chat: Schema.optional(ChatRef),
  threadId: Schema.optional(TopicId),
  messageId: Schema.optional(MessageId),
  query: TelegramCallbackQuery
})
export type CallbackPressed = typeof CallbackPressed.Type

/**
 * Someone changed their reactions on a message: `reactions` is what they have now, `previous` what
 * they had. `from` is absent when an anonymous admin or a channel (`actorChat`) reacted.
 *
 * @example
 * on: { "reaction.changed": (event) => event.reactions.some((r) => r.type === "emoji" && r.emoji === "👍") }
 */
export const ReactionChanged = Schema.Struct({
  type: Schema.Literal("reaction.changed"),
  ...origin,
  chat: ChatRef,
  messageId: MessageId,
  from: Schema.optional(TelegramUser),
  actorChat: Schema.optional(ChatRef),
  previous: Schema.Array(Reaction),
  reactions: Schema.Array(Reaction)
})
export type ReactionChanged = typeof ReactionChanged.Type

/**
 * A membership changed: `member` went from `oldStatus` to `newStatus`, by `from`'s doing. `self` is
 * true when the member is the connection's own bot (Telegram's `my_chat_member`), e.g. the bot was
 * added to a group, or a client blocked it (`kicked` in their private chat).
 *
 * @example
 * on: { "member.changed": (event) => event.self && event.newStatus === "kicked" && markBlocked(event.chat.id) }
 */
export const MemberChanged = Schema.Struct({
  type: Schema.Literal("member.changed"),
  ...origin,
  chat: ChatRef,
  from: TelegramUser,
  member: TelegramUser,
  oldStatus: MemberStatus,
  newStatus: MemberStatus,
  self: Schema.Boolean,
  change: TelegramChatMemberUpdated
})
export type MemberChanged = typeof MemberChanged.Type

const topicFields = { ...origin, chat: ChatRef, threadId: TopicId, from: Schema.optional(TelegramUser) }

/**
 * A forum topic was created (from the `forum_topic_created` service message).
 *
 * @example
 * on: { "topic.created": (event) => log(`topic ${event.threadId} "${event.name}" in ${event.chat.id}`) }
 */
export const TopicCreated = Schema.Struct({
  type: Schema.Literal("topic.created"),
  ...topicFields,
  name: Schema.String,
  iconColor: Schema.Number,
  iconCustomEmojiId: Schema.optional(Schema.String)
})
export type TopicCreated = typeof TopicCreated.Type

/**
 * A forum topic was renamed or got another icon; a field is present only if it changed (an empty
 * `iconCustomEmojiId` means the icon was removed).
 *
 * @example
 * on: { "topic.edited": (event) => event.name !== undefined && rename(event.threadId, event.name) }
 */
export const TopicEdited = Schema.Struct({
  type: Schema.Literal("topic.edited"),
  ...topicFields,
  name: Schema.optional(Schema.String),
  iconCustomEmojiId: Schema.optional(Schema.String)
})
export type TopicEdited = typeof TopicEdited.Type

/**
 * A forum topic was closed.
 *
 * @example
 * on: { "topic.closed": (event) => log(`topic ${event.threadId} closed by ${event.from?.first_name}`) }
 */
export const TopicClosed = Schema.Struct({ type: Schema.Literal("topic.closed"), ...topicFields })
export type TopicClosed = typeof TopicClosed.Type

/**
 * A closed forum topic was reopened.
 *
 * @example
 * on: { "topic.reopened": (event) => log(`topic ${event.threadId} is open again`) }
 */
export const TopicReopened = Schema.Struct({ type: Schema.Literal("topic.reopened"), ...topicFields })
export type TopicReopened = typeof TopicReopened.Type

/**
 * Every event the Gateway makes of a Telegram update, told apart by `type`.
 *
 * @example
 * const describe = (event: DomainEvent) => (event.type === "message.received" ? event.message.text : event.type)
 */
export const DomainEvent = Schema.Union(
  MessageReceived,
  MessageEdited,
  ChannelPosted,
  CallbackPressed,
  ReactionChanged,
  MemberChanged,
  TopicCreated,
  TopicEdited,
  TopicClosed,
  TopicReopened
)
export type DomainEvent = typeof DomainEvent.Type

/**
 * The `type` of each domain event.
 *
 * @example
 * const types: ReadonlyArray<DomainEventType> = ["message.received", "message.edited"]
 */
export type DomainEventType = DomainEvent["type"]

/**
 * The update kinds Backline turns into events: what the Gateway asks Telegram for in
 * `allowed_updates` (including `chat_member` and `message_reaction`, which Telegram sends only
 * when asked). Other kinds decode to no events.
 *
 * @example
 * await api.getUpdates({ offset, allowed_updates: [...handledUpdateKinds] })
 */
export const handledUpdateKinds = [
  "message",
  "edited_message",
  "channel_post",
  "callback_query",
  "message_reaction",
  "chat_member",
  "my_chat_member"
] as const satisfies ReadonlyArray<Exclude<keyof Update, "update_id">>

/**
 * An update lacks a field Backline needs or has one of the wrong type; `reason` says which, in one
 * line. Such an update is dead-lettered, never retried.
 *
 * @example
 * decodeUpdate(connection, { update_id: 1, message: {} }) // Left(UpdateMalformed { reason: "message.message_id: is missing; ..." })
 */
export class UpdateMalformed extends Data.TaggedError("UpdateMalformed")<{ readonly reason: string }> {}

const MessageHead = Schema.Struct({
  message_id: MessageId,
  chat: ChatRef,
  from: Schema.optional(TelegramUser),
  message_thread_id: Schema.optional(TopicId),
  is_topic_message: Schema.optional(Schema.Boolean),
  forum_topic_created: Schema.optional(
    Schema.Struct({
      name: Schema.String,
      icon_color: Schema.Number,
      icon_custom_emoji_id: Schema.optional(Schema.String)
    })
  ),
  forum_topic_edited: Schema.optional(
    Schema.Struct({
      name: Schema.optional(Schema.String),
      icon_custom_emoji_id: Schema.optional(Schema.String)
    })
  ),
  forum_topic_closed: Schema.optional(Schema.Struct({})),
  forum_topic_reopened: Schema.optional(Schema.Struct({}))
})
type MessageHead = typeof MessageHead.Type

const UpdateHead = Schema.Struct({
  update_id: UpdateId,
  message: Schema.optional(MessageHead),
  edited_message: Schema.optional(MessageHead),
  channel_post: Schema.optional(MessageHead),
  callback_query: Schema.optional(
    Schema.Struct({
      id: Schema.String,
      from: TelegramUser,
      data: Schema.optional(Schema.String),
      message: Schema.optional(
        Schema.Struct({
          message_id: MessageId,
          chat: ChatRef,
          message_thread_id: Schema.optional(TopicId),
          is_topic_message: Schema.optional(Schema.Boolean)
        })
      )
    })
  ),
  message_reaction: Schema.optional(
    Schema.Struct({
      chat: ChatRef,
      message_id: MessageId,
      user: Schema.optional(TelegramUser),
      actor_chat: Schema.optional(ChatRef),
      old_reaction: Schema.Array(Reaction),
      new_reaction: Schema.Array(Reaction)
    })
  ),
  chat_member: Schema.optional(Schema.suspend(() => MemberHead)),
  my_chat_member: Schema.optional(Schema.suspend(() => MemberHead))
})

const MemberHead = Schema.Struct({
  chat: ChatRef,
  from: TelegramUser,
  old_chat_member: Schema.Struct({ status: MemberStatus, user: TelegramUser }),
  new_chat_member: Schema.Struct({ status: MemberStatus, user: TelegramUser })
})

const decodeHead = Schema.decodeUnknownEither(UpdateHead, { errors: "all" })

/** A parse error in one line: `message.chat.id: Expected number, actual "x"; ...`. */
const oneLine = (error: ParseResult.ParseError): string =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .map((issue) => `${issue.path.length === 0 ? "update" : issue.path.join(".")}: ${issue.message}`)
    .join("; ")
    .replace(/\s+/g, " ")

// In a forum, `message_thread_id` names the topic only with `is_topic_message`; elsewhere it is a
// reply thread, which Backline does not route on.
const topicOf = (head: {
  message_thread_id?: TopicId | undefined
  is_topic_message?: boolean | undefined
}) =>
  head.is_topic_message === true && head.message_thread_id !== undefined
    ? { threadId: head.message_thread_id }
    : {}

const fromMessage = (
  origin: { connection: ConnectionId; updateId: UpdateId },
  head: MessageHead,
  message: Message,
  edited: boolean
): DomainEvent => {
  const topic = {
    ...origin,
    chat: head.chat,
    threadId: head.message_thread_id ?? TopicId.make(head.message_id),
    ...(head.from !== undefined ? { from: head.from } : {})
  }
  if (!edited && head.forum_topic_created !== undefined) {
    const created = head.forum_topic_created
    return {
      type: "topic.created",
      ...topic,
      name: created.name,
      iconColor: created.icon_color,
      ...(created.icon_custom_emoji_id !== undefined
        ? { iconCustomEmojiId: created.icon_custom_emoji_id }
        : {})
    }
  }
  if (!edited && head.forum_topic_edited !== undefined) {
    const { name, icon_custom_emoji_id } = head.forum_topic_edited
    return {
      type: "topic.edited",
      ...topic,
      ...(name !== undefined ? { name } : {}),
      ...(icon_custom_emoji_id !== undefined ? { iconCustomEmojiId: icon_custom_emoji_id } : {})
    }
  }
  if (!edited && head.forum_topic_closed !== undefined) return { type: "topic.closed", ...topic }
  if (!edited && head.forum_topic_reopened !== undefined) return { type: "topic.reopened", ...topic }
  return {
    type: edited ? "message.edited" : "message.received",
    ...origin,
    chat: head.chat,
    ...topicOf(head),
    ...(head.from !== undefined ? { from: head.from } : {}),
    messageId: head.message_id,
    message
  }
}

/**
 * Decodes one raw Telegram update (parsed JSON, as Telegram sent it) into Backline's domain
 * events. A kind Backline does not handle gives no events; a malformed update (a field Backline
 * routes on missing or of the wrong type) gives `UpdateMalformed`.
 *
 * @example
 * const events = decodeUpdate(ConnectionId.make("bot:7000000001"), JSON.parse(body))
 * // Right([{ type: "message.received", chat: { id: 1000004, type: "private" }, messageId: 5, ... }])
 */
export const decodeUpdate = (
  connection: ConnectionId,
  input: unknown
): Either.Either<ReadonlyArray<DomainEvent>, UpdateMalformed> =>
  Either.match(decodeHead(input), {
    onLeft: (error) => Either.left(new UpdateMalformed({ reason: oneLine(error) })),
    onRight: (head) => {
      const raw = input as Update
      const origin = { connection, updateId: head.update_id }
      const events: Array<DomainEvent> = []
      if (head.message !== undefined) events.push(fromMessage(origin, head.message, raw.message!, false))
      if (head.edited_message !== undefined)
        events.push(fromMessage(origin, head.edited_message, raw.edited_message!, true))
      if (head.channel_post !== undefined) {
        const { chat, message_id } = head.channel_post
        events.push({
          type: "channel.posted",
          ...origin,
          chat,
          messageId: message_id,
          message: raw.channel_post!
        })
      }
      if (head.callback_query !== undefined) {
        const query = head.callback_query
        const at = query.message
        events.push({
          type: "callback.pressed",
          ...origin,
          callbackId: query.id,
          from: query.from,
          ...(query.data !== undefined ? { data: query.data } : {}),
          ...(at !== undefined ? { chat: at.chat, ...topicOf(at), messageId: at.message_id } : {}),
          query: raw.callback_query!
        })
      }
      if (head.message_reaction !== undefined) {
        const reaction = head.message_reaction
        events.push({
          type: "reaction.changed",
          ...origin,
          chat: reaction.chat,
          messageId: reaction.message_id,
          ...(reaction.user !== undefined ? { from: reaction.user } : {}),
          ...(reaction.actor_chat !== undefined ? { actorChat: reaction.actor_chat } : {}),
          previous: reaction.old_reaction,
          reactions: reaction.new_reaction
        })
      }
      for (const [member, self] of [
        [head.chat_member, false],
        [head.my_chat_member, true]
      ] as const) {
        if (member === undefined) continue
        events.push({
          type: "member.changed",
          ...origin,
          chat: member.chat,
          from: member.from,
          member: member.new_chat_member.user,
          oldStatus: member.old_chat_member.status,
          newStatus: member.new_chat_member.status,
          self,
          change: (self ? raw.my_chat_member : raw.chat_member)!
        })
      }
      return Either.right(events)
    }
  })

/**
 * The `update_id` of a raw update, if it has a usable one: what the inbox keys an update by, even
 * one that is otherwise malformed.
 *
 * @example
 * updateIdOf({ update_id: 7, message: "garbage" }) // 7
 */
export const updateIdOf = (input: unknown): UpdateId | undefined => {
  const id = isObject(input) ? input["update_id"] : undefined
  return Schema.is(UpdateId)(id) ? id : undefined
}
