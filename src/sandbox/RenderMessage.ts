import type { ChatFullInfo, InaccessibleMessage, MaybeInaccessibleMessage, Message } from "grammy/types"
import type { ChatRecord, StoredMessage } from "./Model.ts"
import { toChat, toUser, type RenderSource } from "./RenderChat.ts"
import { renderMedia } from "./RenderMedia.ts"

const renderService = (source: RenderSource, message: StoredMessage, viewer: number): Partial<Message> => {
  const service = message.service
  if (service === undefined) return {}
  switch (service.kind) {
    case "forum_topic_created":
      return {
        forum_topic_created: {
          name: service.name,
          icon_color: service.iconColor,
          ...(service.emoji !== undefined ? { icon_custom_emoji_id: service.emoji } : {})
        }
      }
    case "forum_topic_edited":
      return {
        forum_topic_edited: {
          ...(service.name !== undefined ? { name: service.name } : {}),
          ...(service.emoji !== undefined ? { icon_custom_emoji_id: service.emoji } : {})
        }
      }
    case "forum_topic_closed":
      return { forum_topic_closed: {} }
    case "forum_topic_reopened":
      return { forum_topic_reopened: {} }
    case "pinned_message": {
      const chat = source.chatByKey(message.chatKey)
      const pinned = chat.messages.get(service.messageId)
      const inaccessible: InaccessibleMessage = {
        chat: toChat(source, chat, viewer),
        message_id: service.messageId,
        date: 0
      }
      const value: MaybeInaccessibleMessage =
        pinned === undefined || pinned.deleted ? inaccessible : renderMessage(source, pinned, viewer, false)
      return { pinned_message: value }
    }
    case "new_chat_members":
      return { new_chat_members: service.userIds.map((id) => toUser(source.user(id))) }
    case "left_chat_member":
      return { left_chat_member: toUser(source.user(service.userId)) }
  }
}

/**
 * A stored message as the Bot API shows it to `viewer`. In a forum topic a message that replies
 * to nothing carries the topic's creation message as `reply_to_message`, as Telegram does.
 */
export const renderMessage = (
  source: RenderSource,
  message: StoredMessage,
  viewer: number,
  withReply = true
): Message => {
  const chat = source.chatByKey(message.chatKey)
  const replyId =
    message.replyTo ??
    (message.threadId !== undefined && message.threadId !== message.id ? message.threadId : undefined)
  const replied = withReply && replyId !== undefined ? chat.messages.get(replyId) : undefined
  // Built field by field in the Bot API's order, not from spread temporaries: every update and
  // every answer renders messages, so this is on the path of each round trip.
  const out: Record<string, unknown> = { message_id: message.id }
  if (message.threadId !== undefined) out["message_thread_id"] = message.threadId
  if (message.from !== undefined) out["from"] = toUser(source.user(message.from))
  if (chat.type === "channel") out["sender_chat"] = toChat(source, chat, viewer)
  out["chat"] = toChat(source, chat, viewer)
  out["date"] = message.date
  if (message.threadId !== undefined) out["is_topic_message"] = true
  if (message.forwardOrigin !== undefined) out["forward_origin"] = message.forwardOrigin
  if (replied !== undefined && !replied.deleted)
    out["reply_to_message"] = renderMessage(source, replied, viewer, false)
  if (message.editDate !== undefined) out["edit_date"] = message.editDate
  if (message.mediaGroupId !== undefined) out["media_group_id"] = message.mediaGroupId
  if (message.text !== undefined) out["text"] = message.text
  if (message.entities !== undefined && message.entities.length > 0) out["entities"] = message.entities
  if (message.media !== undefined) Object.assign(out, renderMedia(source, message, viewer))
  if (message.caption !== undefined) out["caption"] = message.caption
  if (message.captionEntities !== undefined && message.captionEntities.length > 0)
    out["caption_entities"] = message.captionEntities
  if (message.hasSpoiler) out["has_media_spoiler"] = true
  if (message.location !== undefined) out["location"] = message.location
  if (message.contact !== undefined) out["contact"] = message.contact
  if (message.service !== undefined) Object.assign(out, renderService(source, message, viewer))
  if (message.replyMarkup !== undefined) out["reply_markup"] = message.replyMarkup
  return out as unknown as Message
}

const acceptedGiftTypes = {
  unlimited_gifts: false,
  limited_gifts: false,
  unique_gifts: false,
  premium_subscription: false,
  gifts_from_channels: false
}

export const toChatFullInfo = (source: RenderSource, chat: ChatRecord, viewer: number): ChatFullInfo => {
  const pinnedId = chat.pinned.at(-1)
  const pinned = pinnedId === undefined ? undefined : chat.messages.get(pinnedId)
  const common = {
    accent_color_id: Math.abs(chat.id) % 7,
    max_reaction_count: 11,
    accepted_gift_types: acceptedGiftTypes,
    ...(pinned !== undefined && !pinned.deleted
      ? { pinned_message: renderMessage(source, pinned, viewer, false) }
      : {})
  }
  const base = toChat(source, chat, viewer)
  const description = chat.description !== undefined ? { description: chat.description } : {}
  const permissions = {
    can_send_messages: true,
    can_send_audios: true,
    can_send_documents: true,
    can_send_photos: true,
    can_send_videos: true,
    can_send_video_notes: true,
    can_send_voice_notes: true,
    can_send_polls: true,
    can_send_other_messages: true,
    can_add_web_page_previews: true,
    can_react_to_messages: true,
    can_change_info: false,
    can_invite_users: true,
    can_edit_tag: false,
    can_pin_messages: false,
    can_manage_topics: false
  }
  switch (base.type) {
    case "private":
      return { ...base, ...common }
    case "group":
      return { ...base, ...common, ...description, permissions }
    case "supergroup":
      return { ...base, ...common, ...description, permissions }
    case "channel":
      return { ...base, ...common, ...description }
  }
}
