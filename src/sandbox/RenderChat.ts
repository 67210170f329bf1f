import type { Chat, ChatMember, User } from "grammy/types"
import type { FileStore } from "./Files.ts"
import type { ChatRecord, MemberRecord, UserRecord } from "./Model.ts"

/** What rendering needs from the world: lookups only, no mutation. */
export interface RenderSource {
  readonly files: FileStore
  user(id: number): UserRecord
  chatByKey(key: string): ChatRecord
}

export const toUser = (user: UserRecord): User => ({ ...user })

/** The chat as `viewer` sees it: a private chat is named after the other side. */
export const toChat = (source: RenderSource, chat: ChatRecord, viewer: number): Chat => {
  if (chat.type === "private") {
    const peer = source.user(chat.peers!.user === viewer ? chat.peers!.bot : chat.peers!.user)
    return {
      id: peer.id,
      type: "private",
      first_name: peer.first_name,
      ...(peer.last_name !== undefined ? { last_name: peer.last_name } : {}),
      ...(peer.username !== undefined ? { username: peer.username } : {})
    }
  }
  if (chat.type === "group") return { id: chat.id, type: "group", title: chat.title }
  const username = chat.username !== undefined ? { username: chat.username } : {}
  if (chat.type === "channel") return { id: chat.id, type: "channel", title: chat.title, ...username }
  return {
    id: chat.id,
    type: "supergroup",
    title: chat.title,
    ...username,
    ...(chat.isForum ? { is_forum: true } : {})
  }
}

export const toChatMember = (user: UserRecord, member: MemberRecord | undefined): ChatMember => {
  const u = toUser(user)
  switch (member?.status) {
    case "creator":
      return { status: "creator", user: u, is_anonymous: false }
    case "administrator":
      return {
        status: "administrator",
        user: u,
        can_be_edited: false,
        is_anonymous: false,
        ...member.rights!,
        ...(member.customTitle !== undefined ? { custom_title: member.customTitle } : {})
      }
    case "member":
      return { status: "member", user: u }
    case "restricted":
      return {
        status: "restricted",
        user: u,
        is_member: true,
        can_send_messages: false,
        can_send_audios: false,
        can_send_documents: false,
        can_send_photos: false,
        can_send_videos: false,
        can_send_video_notes: false,
        can_send_voice_notes: false,
        can_send_polls: false,
        can_send_other_messages: false,
        can_add_web_page_previews: false,
        can_react_to_messages: false,
        can_change_info: false,
        can_invite_users: false,
        can_edit_tag: false,
        can_pin_messages: false,
        can_manage_topics: false,
        until_date: member.untilDate ?? 0
      }
    case "kicked":
      return { status: "kicked", user: u, until_date: member.untilDate ?? 0 }
    default:
      return { status: "left", user: u }
  }
}
