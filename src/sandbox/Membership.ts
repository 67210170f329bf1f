import type { ChatMemberUpdated } from "grammy/types"
import { deliver } from "./Delivery.ts"
import {
  isPresent,
  type AdminRights,
  type ChatRecord,
  type MemberRecord,
  type MemberStatus
} from "./Model.ts"
import { toChat, toChatMember } from "./RenderChat.ts"
import type { World } from "./World.ts"

/** The membership of `userId`; both sides of a private chat are its members. */
export const memberOf = (chat: ChatRecord, userId: number): MemberRecord | undefined => {
  if (chat.type === "private") {
    return chat.peers?.user === userId || chat.peers?.bot === userId
      ? { userId, status: "member" }
      : undefined
  }
  return chat.members.get(userId)
}

/** Whether `userId` may do what `right` allows here: the owner may do everything. */
export const can = (
  chat: ChatRecord,
  userId: number,
  right: keyof AdminRights | "can_post_messages" | "can_edit_messages"
): boolean => {
  if (chat.type === "private") return true
  const member = chat.members.get(userId)
  if (member?.status === "creator") return true
  return member?.status === "administrator" && member.rights?.[right] === true
}

export const isAdmin = (chat: ChatRecord, userId: number): boolean => {
  const status = chat.members.get(userId)?.status
  return status === "creator" || status === "administrator"
}

/** Changes a membership and tells bots: `my_chat_member` to the bot concerned, `chat_member` to admin bots. */
export const changeMember = (
  world: World,
  chat: ChatRecord,
  userId: number,
  status: MemberStatus,
  by: number,
  rights?: AdminRights,
  silent = false,
  untilDate?: number
): void => {
  const user = world.user(userId)
  const before = chat.members.get(userId)
  const after: MemberRecord = {
    userId,
    status,
    ...(rights !== undefined ? { rights } : {}),
    ...(untilDate !== undefined ? { untilDate } : {})
  }
  chat.members.set(userId, after)
  const date = world.now()
  const change = (viewer: number): ChatMemberUpdated => ({
    chat: toChat(world, chat, viewer),
    from: { ...world.user(by) },
    date,
    old_chat_member: toChatMember(user, before),
    new_chat_member: toChatMember(user, after)
  })
  if (user.is_bot) world.push(userId, { my_chat_member: change(userId) })
  for (const bot of world.bots.values()) {
    if (bot.user.id !== userId && isAdmin(chat, bot.user.id))
      world.push(bot.user.id, { chat_member: change(bot.user.id) })
  }
  if (silent || chat.type === "channel") return
  const joined = !isPresent(before) && isPresent(after)
  const left = isPresent(before) && !isPresent(after)
  if (joined || left) {
    const message = world.store(chat, {
      from: by,
      service: joined ? { kind: "new_chat_members", userIds: [userId] } : { kind: "left_chat_member", userId }
    })
    deliver(world, chat, message, "message")
  }
}
