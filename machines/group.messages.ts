import type { CallbackPressed, MessageEdited, MessageReceived, TelegramUser } from "../src/domain/Events.ts"
import type { GroupContext, TopicKind } from "./group.types.ts"

/** General's thread id: a message without a topic in a forum, or any message in a plain group. */
export const GENERAL = 1

/**
 * Who wrote a message, with Telegram's field names.
 *
 * @example
 * const name = (author: Author) => (author.username !== undefined ? `@${author.username}` : author.first_name)
 */
export interface Author {
  readonly id: number
  readonly first_name: string
  readonly username?: string
  readonly is_bot: boolean
}

/**
 * What the group actor tells plugins about a message in its group.
 *
 * @example
 * const ignored = (fields: PostedFields) => fields.from?.is_bot === true || fields.topicKind === "dialog"
 */
export interface PostedFields {
  /** The connection (bot) that received the message: the one to answer through. */
  readonly connection: string
  readonly chatId: number
  /** The topic; 1 (General) when the message has none. */
  readonly threadId: number
  readonly messageId: number
  /** `null` when Telegram names no sender (a post on behalf of a chat). */
  readonly from: Author | null
  /** The text, or the caption of a media message; `null` when there is neither. */
  readonly text: string | null
  /** The kind of the topic the message is in, as the group's topic registry knows it. */
  readonly topicKind: TopicKind
  /** Whether the author is in the group's admin cache (learned from membership updates). */
  readonly fromAdmin: boolean
  /** The message as Telegram sent it (media, entities, reply, ...). */
  readonly message: MessageReceived["message"]
}

/**
 * A message starting with `/name`: the command name (lower-case, without `@bot`) and the rest.
 *
 * @example
 * // "/Plugin@backline_bot enable tasks here"
 * const fields: CommandFields = { command: "plugin", args: "enable tasks here", addressedTo: "backline_bot" }
 */
export interface CommandFields {
  readonly command: string
  /** What follows the command, trimmed; `""` when nothing does. */
  readonly args: string
  /** The bot username after `@` (`/ping@backline_bot`), or `null` for a command to any bot. */
  readonly addressedTo: string | null
}

/**
 * A press of an inline button under a message in the group, as the group actor tells plugins.
 * Whoever sent the button answers the press (`answerCallbackQuery` with `callbackId`); give your
 * buttons `callback_data` starting with your plugin's id, and leave other presses alone.
 *
 * @example
 * const mine = (fields: ButtonFields) => fields.data?.startsWith("polls:") === true
 */
export interface ButtonFields {
  /** The connection (bot) that received the press: the one whose button it is. */
  readonly connection: string
  readonly chatId: number
  /** The topic of the button's message; 1 (General) when it has none. */
  readonly threadId: number
  /** The button's message, or `null` when Telegram does not say. */
  readonly messageId: number | null
  /** Telegram's callback query id, for `answerCallbackQuery`. */
  readonly callbackId: string
  readonly from: Author
  /** The button's `callback_data`, or `null` for a button without it. */
  readonly data: string | null
}

const command = /^\/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]+))?(?:\s+([\s\S]*))?$/

/** The command a text holds, if it starts with one (`/ ` starts an internal comment, not a command). */
export const commandOf = (text: string | null): CommandFields | undefined => {
  const match = text === null ? null : command.exec(text)
  if (match === null) return undefined
  return { command: match[1]!.toLowerCase(), args: (match[3] ?? "").trim(), addressedTo: match[2] ?? null }
}

/** A Telegram user as plugins see it: id, first name, username, whether a bot. */
export const authorOf = (from: TelegramUser): Author => ({
  id: from.id,
  first_name: from.first_name,
  ...(from.username !== undefined ? { username: from.username } : {}),
  is_bot: from.is_bot
})

/** The facts of a button press, as the group actor emits them. */
export const buttonFields = (context: GroupContext, event: CallbackPressed): ButtonFields => ({
  connection: event.connection,
  chatId: context.chatId,
  threadId: event.threadId ?? GENERAL,
  messageId: event.messageId ?? null,
  callbackId: event.callbackId,
  from: authorOf(event.from),
  data: event.data ?? null
})

/** The facts of a message event, as the group actor emits them. */
export const postedFields = (context: GroupContext, event: MessageReceived | MessageEdited): PostedFields => {
  const threadId = event.threadId ?? GENERAL
  const from = event.from
  return {
    connection: event.connection,
    chatId: context.chatId,
    threadId,
    messageId: event.messageId,
    from: from === undefined ? null : authorOf(from),
    text: event.message.text ?? event.message.caption ?? null,
    topicKind: context.topics[String(threadId)]?.kind ?? (threadId === GENERAL ? "general" : "unknown"),
    fromAdmin: from !== undefined && context.admins[String(from.id)] !== undefined,
    message: event.message
  }
}
