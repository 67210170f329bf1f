import { isPresent, type BotRecord, type ChatRecord, type StoredMessage } from "./Model.ts"
import type { World } from "./World.ts"

/** Whether a bot in privacy mode is shown this group message: commands, replies to it, mentions. */
const sees = (world: World, bot: BotRecord, chat: ChatRecord, message: StoredMessage): boolean => {
  if (!bot.privacy || world.isAdmin(chat, bot.user.id) || message.service !== undefined) return true
  const text = message.text ?? message.caption ?? ""
  const entities = message.entities ?? message.captionEntities ?? []
  const name = bot.user.username.toLowerCase()
  for (const entity of entities) {
    const part = text.slice(entity.offset, entity.offset + entity.length).toLowerCase()
    if (entity.type === "bot_command" && (!part.includes("@") || part.endsWith(`@${name}`))) return true
    if (entity.type === "mention" && part === `@${name}`) return true
    if (entity.type === "text_mention" && entity.user.id === bot.user.id) return true
  }
  const replied = message.replyTo === undefined ? undefined : chat.messages.get(message.replyTo)
  return replied?.from === bot.user.id
}

/** Sends the message (or its edit) to every bot that would receive it in Telegram. */
export const deliver = (
  world: World,
  chat: ChatRecord,
  message: StoredMessage,
  kind: "message" | "edited_message"
): void => {
  const sender = message.from === undefined ? undefined : world.users.get(message.from)
  if (chat.type === "private") {
    const botId = chat.peers!.bot
    if (message.from !== botId) world.push(botId, { [kind]: world.render(message, botId) })
    return
  }
  if (sender?.is_bot === true) return // bots never see what other bots send
  for (const bot of world.bots.values()) {
    const member = chat.members.get(bot.user.id)
    if (!isPresent(member)) continue
    if (chat.type === "channel") {
      if (!world.isAdmin(chat, bot.user.id)) continue
      const channelKind = kind === "message" ? "channel_post" : "edited_channel_post"
      world.push(bot.user.id, { [channelKind]: world.render(message, bot.user.id) })
    } else if (sees(world, bot, chat, message)) {
      world.push(bot.user.id, { [kind]: world.render(message, bot.user.id) })
    }
  }
}
