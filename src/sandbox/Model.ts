import type {
  BotCommand,
  ChatAdministratorRights,
  Contact,
  InlineKeyboardMarkup,
  Location,
  MessageEntity,
  MessageOrigin,
  ReactionType
} from "grammy/types"

/** A Telegram account: a person or a bot. */
export interface UserRecord {
  readonly id: number
  readonly is_bot: boolean
  first_name: string
  last_name?: string
  username?: string
  language_code?: string
  is_premium?: true
}

export interface BotRecord {
  readonly user: UserRecord & { username: string }
  readonly token: string
  /** Privacy mode: when on, a non-admin bot in a group sees only commands, replies and mentions. */
  privacy: boolean
  readonly commands: Map<string, Array<BotCommand>>
  /** Users who have started a conversation with the bot; only they can receive its messages. */
  readonly started: Set<number>
  /** Users who blocked the bot. */
  readonly blockedBy: Set<number>
}

/** A button press, kept until the bot answers it (and after, for the control API to read). */
export interface CallbackRecord {
  readonly id: string
  readonly botId: number
  answer?: { text?: string; show_alert: boolean; url?: string }
}

export type ChatType = "private" | "group" | "supergroup" | "channel"
export type MemberStatus = "creator" | "administrator" | "member" | "restricted" | "left" | "kicked"

export type AdminRights = Omit<ChatAdministratorRights, "is_anonymous">

export interface MemberRecord {
  readonly userId: number
  status: MemberStatus
  rights?: AdminRights
  untilDate?: number
  customTitle?: string
}

export interface TopicRecord {
  readonly threadId: number
  readonly creator: number
  name: string
  iconColor: number
  iconCustomEmojiId?: string
  closed: boolean
  deleted: boolean
}

/** What a message holds, viewer-independent (file ids are rendered per viewer). */
export type StoredMedia =
  | { readonly kind: "photo"; readonly sizes: ReadonlyArray<number> }
  | {
      readonly kind: "document" | "video" | "voice" | "video_note" | "audio" | "sticker" | "animation"
      readonly file: number
      readonly duration?: number
      readonly width?: number
      readonly height?: number
      readonly length?: number
      readonly performer?: string
      readonly title?: string
      readonly emoji?: string
    }

export type ServiceContent =
  | {
      readonly kind: "forum_topic_created"
      readonly name: string
      readonly iconColor: number
      readonly emoji?: string
    }
  | { readonly kind: "forum_topic_edited"; readonly name?: string; readonly emoji?: string }
  | { readonly kind: "forum_topic_closed" }
  | { readonly kind: "forum_topic_reopened" }
  | { readonly kind: "pinned_message"; readonly messageId: number }
  | { readonly kind: "new_chat_members"; readonly userIds: ReadonlyArray<number> }
  | { readonly kind: "left_chat_member"; readonly userId: number }

export interface StoredMessage {
  readonly id: number
  readonly chatKey: string
  /** Sender; absent for channel posts. */
  readonly from?: number
  readonly date: number
  /** Forum topic; undefined in General and in chats without topics. */
  readonly threadId?: number
  text?: string
  entities?: Array<MessageEntity>
  caption?: string
  captionEntities?: Array<MessageEntity>
  media?: StoredMedia
  location?: Location
  contact?: Contact
  service?: ServiceContent
  replyTo?: number
  replyMarkup?: InlineKeyboardMarkup
  editDate?: number
  mediaGroupId?: string
  forwardOrigin?: MessageOrigin
  hasSpoiler?: true
  deleted: boolean
  /** Reactions per user id. */
  readonly reactions: Map<number, Array<ReactionType>>
}

/** A chat. Private chats are one record per (user, bot) pair; `id` is then the user's id. */
export interface ChatRecord {
  readonly key: string
  readonly id: number
  readonly type: ChatType
  title: string
  username?: string
  description?: string
  readonly isForum: boolean
  /** For private chats: the person and the bot. */
  readonly peers?: { readonly user: number; readonly bot: number }
  readonly members: Map<number, MemberRecord>
  readonly topics: Map<number, TopicRecord>
  readonly messages: Map<number, StoredMessage>
  readonly pinned: Array<number>
  nextMessageId: number
}

export const isPresent = (member: MemberRecord | undefined): boolean =>
  member !== undefined &&
  (member.status === "creator" ||
    member.status === "administrator" ||
    member.status === "member" ||
    member.status === "restricted")

export const fullRights: AdminRights = {
  can_manage_chat: true,
  can_delete_messages: true,
  can_manage_video_chats: true,
  can_restrict_members: true,
  can_promote_members: true,
  can_change_info: true,
  can_invite_users: true,
  can_post_stories: true,
  can_edit_stories: true,
  can_delete_stories: true,
  can_pin_messages: true,
  can_manage_topics: true,
  can_send_welcome_messages: true
}

/**
 * Every right a full admin holds in this kind of chat: channels add posting and editing posts and
 * have no pins or topics, as a bot added to a channel as admin with the default rights has.
 */
export const fullRightsIn = (type: ChatType): AdminRights => {
  if (type !== "channel") return fullRights
  const { can_pin_messages: _pin, can_manage_topics: _topics, ...common } = fullRights
  return { ...common, can_post_messages: true, can_edit_messages: true }
}
