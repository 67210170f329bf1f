import type { Contact, Location, MessageEntity } from "grammy/types"
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
  /** Formatting of `text` (bold, links, …), as Telegram's `MessageEntity` objects. */
  readonly entities?: ReadonlyArray<MessageEntity>
  readonly caption?: string
  /** Formatting of the caption (or of `text` when it serves as the caption). */
  readonly caption_entities?: ReadonlyArray<MessageEntity>
  readonly message_thread_id?: number
  readonly reply_to_message_id?: number
  /** Posts the (photo, video or document) message as a part of this album: the parts share the id. */
  readonly media_group_id?: string
  readonly photo?: Attachment
  readonly document?: Attachment
  readonly voice?: Attachment
  readonly video?: Attachment
  readonly sticker?: Attachment
  readonly audio?: Attachment
  readonly video_note?: Attachment
  readonly animation?: Attachment
  /** A shared location: `{latitude, longitude}`. */
  readonly location?: Location
  /** A shared contact: `{phone_number, first_name, last_name?}`. */
  readonly contact?: Contact
}

export interface TopicView {
  readonly message_thread_id: number
  readonly name: string
  readonly icon_color: number
  readonly icon_custom_emoji_id?: string
  readonly is_closed: boolean
}

export const attachmentKinds = [
  "photo",
  "document",
  "voice",
  "video",
  "sticker",
  "audio",
  "video_note",
  "animation"
] as const

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
  // As in Telegram, voice messages, video notes and stickers carry no file name.
  const named =
    file.file_name !== undefined && kind !== "voice" && kind !== "video_note" && kind !== "sticker"
  const record = world.files.add(kind, data, {
    ...(named ? { fileName: file.file_name } : {}),
    ...(mime !== undefined ? { mimeType: mime } : {})
  })
  return { kind, file: record.no, ...(kind === "sticker" ? { emoji: "🙂" } : {}) }
}

/** Formatting a user gave their text or caption: entities that lie within it, in Telegram's shape. */
export const entitiesIn = (
  field: string,
  text: string,
  value: unknown
): ReadonlyArray<MessageEntity> | undefined => {
  if (value === undefined) return undefined
  if (!Array.isArray(value)) throw invalidField(field, "must be an array of MessageEntity")
  return value.map((entity: unknown, index): MessageEntity => {
    const at = `${field}[${index}]`
    if (typeof entity !== "object" || entity === null) throw invalidField(at, "must be a MessageEntity")
    const { type, offset, length } = entity as Record<string, unknown>
    if (typeof type !== "string" || type === "") throw invalidField(`${at}.type`, "is required")
    const start = requireNumber(`${at}.offset`, offset)
    const size = requireNumber(`${at}.length`, length)
    if (start < 0 || size < 1 || start + size > text.length)
      throw invalidField(at, "must lie within the text (UTF-16 offset and length)")
    return { ...(entity as MessageEntity), offset: start, length: size }
  })
}

/** A location a user shares: `latitude` and `longitude` in degrees. */
export const locationOf = (value: unknown): Location => {
  if (typeof value !== "object" || value === null) throw invalidField("location", "must be an object")
  const { latitude, longitude } = value as Record<string, unknown>
  if (typeof latitude !== "number" || Math.abs(latitude) > 90)
    throw invalidField("location.latitude", "must be a number from -90 to 90")
  if (typeof longitude !== "number" || Math.abs(longitude) > 180)
    throw invalidField("location.longitude", "must be a number from -180 to 180")
  return { latitude, longitude }
}

/** A contact a user shares: a phone number and a first name, maybe a last name. */
export const contactOf = (value: unknown): Contact => {
  if (typeof value !== "object" || value === null) throw invalidField("contact", "must be an object")
  const { phone_number, first_name, last_name } = value as Record<string, unknown>
  if (typeof phone_number !== "string" || phone_number === "")
    throw invalidField("contact.phone_number", "is required")
  if (typeof first_name !== "string" || first_name === "")
    throw invalidField("contact.first_name", "is required")
  if (last_name !== undefined && typeof last_name !== "string")
    throw invalidField("contact.last_name", "must be a string")
  return { phone_number, first_name, ...(last_name !== undefined ? { last_name } : {}) }
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
