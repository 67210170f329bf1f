import { invalidField } from "./BotApiError.ts"
import { guessMime } from "./methods/Media.ts"
import { isPresent, type ChatRecord, type StoredMedia } from "./Model.ts"
import type { World } from "./World.ts"

// Reading control API input: every field is checked and a refusal names it (4xx `{ error, field }`).

/** An attachment sent by a user through the control API. */
export interface Attachment {
  readonly file_name?: string
  readonly mime_type?: string
  readonly base64: string
}

export interface UserMessage {
  readonly from: number
  /** A group's id, or for a private message to a bot, the bot's id. */
  readonly chat_id: number
  readonly text?: string
  readonly caption?: string
  readonly message_thread_id?: number
  readonly reply_to_message_id?: number
  /** Posts the (photo, video or document) message as a part of this album: the parts share the id. */
  readonly media_group_id?: string
  readonly photo?: Attachment
  readonly document?: Attachment
  readonly voice?: Attachment
  readonly video?: Attachment
  readonly sticker?: Attachment
}

export interface TopicView {
  readonly message_thread_id: number
  readonly name: string
  readonly icon_color: number
  readonly icon_custom_emoji_id?: string
  readonly is_closed: boolean
}

export const attachmentKinds = ["photo", "document", "voice", "video", "sticker"] as const

export const requireNumber = (field: string, value: unknown): number => {
  const number = typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : value
  if (typeof number !== "number" || !Number.isInteger(number)) throw invalidField(field, "must be an integer")
  return number
}

export const userOf = (world: World, field: string, value: unknown) => {
  const user = world.users.get(requireNumber(field, value))
  if (user === undefined) throw invalidField(field, "no such user", 404)
  return user
}

/** The chat `chat_id` names for this user, who must be in it. */
export const chatOfUser = (world: World, userId: number, chatId: unknown, field = "chat_id"): ChatRecord => {
  const id = requireNumber(field, chatId)
  let chat: ChatRecord
  try {
    chat = world.chatFor(userId, id)
  } catch {
    throw invalidField(field, "no such chat", 404)
  }
  if (chat.type !== "private" && !isPresent(chat.members.get(userId)))
    throw invalidField(field, "the user is not a member of this chat", 403)
  return chat
}

/** Stores a file a user attached. */
export const storeAttachment = (
  world: World,
  kind: (typeof attachmentKinds)[number],
  file: Attachment
): StoredMedia => {
  if (typeof file.base64 !== "string") throw invalidField(`${kind}.base64`, "is required")
  const data = Buffer.from(file.base64, "base64")
  if (kind === "photo") return { kind, sizes: world.files.addPhoto(data) }
  const mime = file.mime_type ?? guessMime(file.file_name, kind)
  const record = world.files.add(kind, data, {
    ...(file.file_name !== undefined && kind !== "voice" ? { fileName: file.file_name } : {}),
    ...(mime !== undefined ? { mimeType: mime } : {})
  })
  return { kind, file: record.no, ...(kind === "sticker" ? { emoji: "🙂" } : {}) }
}

/** A topic as the control API shows it. */
export const topicView = (topic: {
  threadId: number
  name: string
  iconColor: number
  iconCustomEmojiId?: string
  closed: boolean
}): TopicView => ({
  message_thread_id: topic.threadId,
  name: topic.name,
  icon_color: topic.iconColor,
  ...(topic.iconCustomEmojiId !== undefined ? { icon_custom_emoji_id: topic.iconCustomEmojiId } : {}),
  is_closed: topic.closed
})
