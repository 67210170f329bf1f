import { Schema } from "effect"

/**
 * A Telegram chat id: positive for users' private chats, negative for groups and channels.
 *
 * @example
 * const group = ChatId.make(-1001234567890)
 */
export const ChatId = Schema.Number.pipe(Schema.int(), Schema.brand("ChatId"))
export type ChatId = typeof ChatId.Type

/**
 * A Telegram user id (people and bots).
 *
 * @example
 * const client = UserId.make(1000004)
 */
export const UserId = Schema.Number.pipe(Schema.int(), Schema.positive(), Schema.brand("UserId"))
export type UserId = typeof UserId.Type

/**
 * A forum topic's `message_thread_id`; General is 1.
 *
 * @example
 * const general = TopicId.make(1)
 */
export const TopicId = Schema.Number.pipe(Schema.int(), Schema.positive(), Schema.brand("TopicId"))
export type TopicId = typeof TopicId.Type

/**
 * A connection: a bot (`bot:<bot user id>`) or a user account (`account:<user id>`).
 *
 * @example
 * const connection = ConnectionId.make("bot:7000000001")
 */
export const ConnectionId = Schema.String.pipe(
  Schema.pattern(/^(bot|account):\d+$/),
  Schema.brand("ConnectionId")
)
export type ConnectionId = typeof ConnectionId.Type

/** The connection id of the bot a token belongs to (the digits before the colon are its user id). */
export const botConnectionId = (token: string): ConnectionId =>
  ConnectionId.make(`bot:${token.split(":")[0] ?? ""}`)
