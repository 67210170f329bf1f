import type { BotCommand, BotCommandScope, ChatMember, File, UserFromGetMe } from "grammy/types"
import { badRequest } from "../BotApiError.ts"
import { createTopic, deleteTopic, editTopic, setTopicClosed, toForumTopic } from "../Forum.ts"
import { checkCanSend } from "../Messaging.ts"
import { isPresent, type ChatRecord } from "../Model.ts"
import { toChatMember } from "../RenderChat.ts"
import { toChatFullInfo } from "../RenderMessage.ts"
import { botId, type Method, type MethodContext } from "./Context.ts"

const getMe: Method = (ctx): UserFromGetMe => ({
  ...ctx.bot.user,
  is_bot: true,
  can_join_groups: true,
  can_read_all_group_messages: !ctx.bot.privacy,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
  has_topics_enabled: false,
  allows_users_to_create_topics: false,
  can_manage_bots: false,
  supports_join_request_queries: false
})

/** A chat the bot can look at: any private chat it has, a group it is in (or a public one). */
const visibleChat = (ctx: MethodContext): ChatRecord => {
  const chat = ctx.world.chatFor(botId(ctx), ctx.params.chatId())
  if (chat.type !== "private" && chat.username === undefined && !isPresent(chat.members.get(botId(ctx)))) {
    throw badRequest("chat not found")
  }
  return chat
}

const getChat: Method = (ctx) => toChatFullInfo(ctx.world, visibleChat(ctx), botId(ctx))

const getChatMember: Method = (ctx) => {
  const chat = visibleChat(ctx)
  const user = ctx.world.users.get(ctx.params.int("user_id", "user_id is empty"))
  if (user === undefined) throw badRequest("user not found")
  return toChatMember(user, ctx.world.member(chat, user.id))
}

// The Bot API documents this list as the chat's administrators "which aren't bots".
const getChatAdministrators: Method = (ctx) => {
  const chat = visibleChat(ctx)
  if (chat.type === "private") throw badRequest("there are no administrators in the private chat")
  return [...chat.members.values()]
    .filter((m) => m.status === "creator" || m.status === "administrator")
    .map((m) => ctx.world.user(m.userId))
    .filter((user) => !user.is_bot)
    .map((user): ChatMember => toChatMember(user, chat.members.get(user.id)))
}

const getChatMemberCount: Method = (ctx) => [...visibleChat(ctx).members.values()].filter(isPresent).length

const restrictTarget = (ctx: MethodContext): [ChatRecord, number] => {
  const chat = ctx.world.chatFor(botId(ctx), ctx.params.chatId())
  if (chat.type === "private") throw badRequest("method is available for supergroup and channel chats only")
  checkCanSend(ctx.world, chat, botId(ctx))
  const userId = ctx.params.int("user_id", "user_id is empty")
  if (!ctx.world.users.has(userId)) throw badRequest("user not found")
  if (!ctx.world.can(chat, botId(ctx), "can_restrict_members"))
    throw badRequest("not enough rights to restrict/unrestrict chat member")
  const member = chat.members.get(userId)
  if (member?.status === "creator") throw badRequest("can't remove chat owner")
  if (member?.status === "administrator" && userId !== botId(ctx))
    throw badRequest("user is an administrator of the chat")
  return [chat, userId]
}

const banChatMember: Method = (ctx) => {
  const [chat, userId] = restrictTarget(ctx)
  const until = ctx.params.optInt("until_date") ?? 0
  ctx.world.setMember(chat, userId, "kicked", botId(ctx), undefined, false, until)
  if (ctx.params.bool("revoke_messages"))
    for (const m of chat.messages.values()) if (m.from === userId) m.deleted = true
  return true
}

// Without only_if_banned Telegram also removes a current member, so they can join again later.
const unbanChatMember: Method = (ctx) => {
  const [chat, userId] = restrictTarget(ctx)
  const member = chat.members.get(userId)
  if (member?.status === "kicked" || (!ctx.params.bool("only_if_banned") && isPresent(member))) {
    ctx.world.setMember(chat, userId, "left", botId(ctx))
  }
  return true
}

const forum = (ctx: MethodContext): ChatRecord => {
  const chat = ctx.world.chatFor(botId(ctx), ctx.params.chatId())
  checkCanSend(ctx.world, chat, botId(ctx))
  return chat
}

const thread = (ctx: MethodContext) => ctx.params.int("message_thread_id", "message thread not found")

const createForumTopic: Method = (ctx) => {
  const chat = forum(ctx)
  const name = ctx.params.string("name", "TOPIC_NAME_INVALID")
  return toForumTopic(
    createTopic(
      ctx.world,
      chat,
      botId(ctx),
      name,
      ctx.params.optInt("icon_color"),
      ctx.params.optString("icon_custom_emoji_id")
    )
  )
}

const editForumTopic: Method = (ctx) => {
  editTopic(
    ctx.world,
    forum(ctx),
    botId(ctx),
    thread(ctx),
    ctx.params.optString("name"),
    ctx.params.optString("icon_custom_emoji_id")
  )
  return true
}

const closeForumTopic: Method = (ctx) => (
  setTopicClosed(ctx.world, forum(ctx), botId(ctx), thread(ctx), true),
  true
)
const reopenForumTopic: Method = (ctx) => (
  setTopicClosed(ctx.world, forum(ctx), botId(ctx), thread(ctx), false),
  true
)
const deleteForumTopic: Method = (ctx) => (deleteTopic(ctx.world, forum(ctx), botId(ctx), thread(ctx)), true)

const answerCallbackQuery: Method = (ctx) => {
  const id = ctx.params.string(
    "callback_query_id",
    "query is too old and response timeout expired or query ID is invalid"
  )
  const query = ctx.world.callbacks.get(id)
  if (query === undefined || query.botId !== botId(ctx) || query.answer !== undefined) {
    throw badRequest("query is too old and response timeout expired or query ID is invalid")
  }
  const text = ctx.params.optString("text")
  const url = ctx.params.optString("url")
  if (text !== undefined && text.length > 200) throw badRequest("MESSAGE_TOO_LONG")
  query.answer = {
    show_alert: ctx.params.bool("show_alert"),
    ...(text !== undefined ? { text } : {}),
    ...(url !== undefined ? { url } : {})
  }
  return true
}

const commandsKey = (ctx: MethodContext): string => {
  const scope = ctx.params.optJson<BotCommandScope>("scope") ?? { type: "default" }
  return `${JSON.stringify(scope)}|${ctx.params.optString("language_code") ?? ""}`
}

const setMyCommands: Method = (ctx) => {
  const commands = ctx.params.optJson<Array<BotCommand>>("commands")
  if (!Array.isArray(commands)) throw badRequest("commands is empty")
  if (commands.length > 100) throw badRequest("too many commands")
  for (const command of commands) {
    if (typeof command.command !== "string" || !/^[a-z0-9_]{1,32}$/.test(command.command))
      throw badRequest("BOT_COMMAND_INVALID")
    if (
      typeof command.description !== "string" ||
      command.description.length < 1 ||
      command.description.length > 256
    ) {
      throw badRequest("BOT_COMMAND_DESCRIPTION_INVALID")
    }
  }
  ctx.bot.commands.set(
    commandsKey(ctx),
    commands.map((c) => ({ command: c.command, description: c.description }))
  )
  return true
}

const getMyCommands: Method = (ctx) => ctx.bot.commands.get(commandsKey(ctx)) ?? []
const deleteMyCommands: Method = (ctx) => (ctx.bot.commands.delete(commandsKey(ctx)), true)

const maxDownload = 20 * 1024 * 1024

const getFile: Method = (ctx): File => {
  const fileId = ctx.params.string("file_id", "file_id is empty")
  const record = ctx.world.files.resolve(fileId, botId(ctx))
  if (record.data.length > maxDownload) throw badRequest("file is too big")
  return {
    file_id: fileId,
    file_unique_id: record.uniqueId,
    file_size: record.data.length,
    file_path: record.path
  }
}

export const chatMethods: Record<string, Method> = {
  getMe,
  getChat,
  getChatMember,
  getChatAdministrators,
  getChatMemberCount,
  banChatMember,
  unbanChatMember,
  createForumTopic,
  editForumTopic,
  closeForumTopic,
  reopenForumTopic,
  deleteForumTopic,
  answerCallbackQuery,
  setMyCommands,
  getMyCommands,
  deleteMyCommands,
  getFile
}
