import type { MessageReactionUpdated, ReactionType, ReactionTypeEmoji } from "grammy/types"
import { badRequest } from "./BotApiError.ts"
import type { ChatRecord } from "./Model.ts"
import { toChat, toUser } from "./RenderChat.ts"
import type { World } from "./World.ts"

/** The emoji Telegram accepts as reactions. */
export const reactionEmoji = [
  "👍",
  "👎",
  "❤",
  "🔥",
  "🥰",
  "👏",
  "😁",
  "🤔",
  "🤯",
  "😱",
  "🤬",
  "😢",
  "🎉",
  "🤩",
  "🤮",
  "💩",
  "🙏",
  "👌",
  "🕊",
  "🤡",
  "🥱",
  "🥴",
  "😍",
  "🐳",
  "❤‍🔥",
  "🌚",
  "🌭",
  "💯",
  "🤣",
  "⚡",
  "🍌",
  "🏆",
  "💔",
  "🤨",
  "😐",
  "🍓",
  "🍾",
  "💋",
  "🖕",
  "😈",
  "😴",
  "😭",
  "🤓",
  "👻",
  "👨‍💻",
  "👀",
  "🎃",
  "🙈",
  "😇",
  "😨",
  "🤝",
  "✍",
  "🤗",
  "🫡",
  "🎅",
  "🎄",
  "☃",
  "💅",
  "🤪",
  "🗿",
  "🆒",
  "💘",
  "🙉",
  "🦄",
  "😘",
  "💊",
  "🙊",
  "😎",
  "👾",
  "🤷‍♂",
  "🤷",
  "🤷‍♀",
  "😡"
] as const satisfies ReadonlyArray<ReactionTypeEmoji["emoji"]>

const validEmoji: ReadonlySet<string> = new Set(reactionEmoji)

/** Sets `actor`'s reactions; bots in the chat get `message_reaction` (never for reactions set by bots). */
export const react = (
  world: World,
  chat: ChatRecord,
  actor: number,
  messageId: number,
  reactions: Array<ReactionType>
): void => {
  const message = world.message(chat, messageId)
  if (message === undefined) throw badRequest("message to react not found")
  for (const reaction of reactions) {
    if (reaction.type === "emoji" && !validEmoji.has(reaction.emoji)) throw badRequest("REACTION_INVALID")
    if (reaction.type !== "emoji" && reaction.type !== "custom_emoji" && reaction.type !== "paid")
      throw badRequest("REACTION_INVALID")
  }
  const isBot = world.bots.has(actor)
  if (isBot && reactions.length > 1) throw badRequest("REACTIONS_TOO_MANY")
  const old = message.reactions.get(actor) ?? []
  if (reactions.length === 0) message.reactions.delete(actor)
  else message.reactions.set(actor, reactions)
  if (isBot) return
  const recipients =
    chat.type === "private"
      ? [chat.peers!.bot]
      : [...world.bots.keys()].filter((id) => id !== actor && world.isAdmin(chat, id))
  for (const botId of recipients) {
    const update: MessageReactionUpdated = {
      chat: toChat(world, chat, botId),
      message_id: messageId,
      user: toUser(world.user(actor)),
      date: world.now(),
      old_reaction: old,
      new_reaction: reactions
    }
    world.push(botId, { message_reaction: update })
  }
}
