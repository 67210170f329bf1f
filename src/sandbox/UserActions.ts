import { createHash, randomBytes } from "node:crypto"
import type { CallbackQuery, Message, ReactionType } from "grammy/types"
import { invalidField } from "./BotApiError.ts"
import {
  attachmentKinds,
  chatOfUser,
  contactOf,
  entitiesIn,
  locationOf,
  requireNumber,
  storeAttachment,
  userOf,
  type UserMessage
} from "./ControlInput.ts"
import { detectEntities } from "./Entities.ts"
import { edit, post, remove, type Content } from "./Messaging.ts"
import { react } from "./Reactions.ts"
import { toChat, toUser } from "./RenderChat.ts"
import type { World } from "./World.ts"

// What people do in the sandbox through the control API: write, edit, react, delete, press buttons,
// block bots. Each acts as the Telegram app would, with the same rules as the Bot API side.

/** A user writes: a private message to a bot (`chat_id` is the bot's id) or a group message. */
export const sendMessage = (world: World, input: UserMessage): Message => {
  const from = userOf(world, "from", input.from)
  const chat = chatOfUser(world, from.id, input.chat_id)
  // As in the Telegram app: subscribers cannot post in a channel, nor restricted members in a group.
  if (chat.type === "channel" && !world.can(chat, from.id, "can_post_messages"))
    throw invalidField("chat_id", "only channel admins allowed to post can post here", 403)
  if (chat.members.get(from.id)?.status === "restricted")
    throw invalidField("from", "the user is restricted in this chat and cannot send messages", 403)
  const kinds = attachmentKinds.filter((kind) => input[kind] !== undefined)
  const shared = (["location", "contact"] as const).filter((kind) => input[kind] !== undefined)
  const given = [...kinds, ...shared]
  if (given.length > 1) throw invalidField(given[1]!, "only one attachment per message")
  if (input.text === undefined && given.length === 0)
    throw invalidField("text", "text or an attachment is required")
  if (input.text !== undefined && typeof input.text !== "string")
    throw invalidField("text", "must be a string")
  // As in Telegram, video notes, locations and contacts carry no caption.
  const bare = shared[0] ?? (kinds[0] === "video_note" ? "video_note" : undefined)
  if (bare !== undefined && (input.text !== undefined || input.caption !== undefined))
    throw invalidField(input.text !== undefined ? "text" : "caption", `a ${bare} has no text or caption`)
  const kind = kinds[0]
  const textOf = (text: string) => ({
    text,
    entities: detectEntities(text, entitiesIn("entities", text, input.entities))
  })
  const captionOf = (caption: string) => {
    const field =
      input.caption === undefined && input.caption_entities === undefined ? "entities" : "caption_entities"
    return {
      caption,
      captionEntities: detectEntities(caption, entitiesIn(field, caption, input[field]))
    }
  }
  const content: Content =
    input.location !== undefined
      ? { location: locationOf(input.location) }
      : input.contact !== undefined
        ? { contact: contactOf(input.contact) }
        : kind === undefined
          ? textOf(input.text!)
          : {
              media: storeAttachment(world, kind, input[kind]!),
              ...(input.caption !== undefined || input.text !== undefined
                ? captionOf(input.caption ?? input.text!)
                : {})
            }
  if (input.media_group_id !== undefined) {
    if (typeof input.media_group_id !== "string" || input.media_group_id === "")
      throw invalidField("media_group_id", "must be a non-empty string")
    if (kind !== "photo" && kind !== "video" && kind !== "document")
      throw invalidField("media_group_id", "only photos, videos and documents make an album")
  }
  const posted: Content =
    input.media_group_id === undefined ? content : { ...content, mediaGroupId: input.media_group_id }
  if (chat.type === "private") {
    const bot = world.bots.get(chat.peers!.bot)!
    bot.started.add(from.id)
    if (bot.blockedBy.has(from.id)) block(world, { user: from.id, bot: bot.user.id, blocked: false })
  }
  const placement = {
    threadId:
      input.message_thread_id === undefined
        ? undefined
        : requireNumber("message_thread_id", input.message_thread_id),
    replyTo:
      input.reply_to_message_id === undefined
        ? undefined
        : requireNumber("reply_to_message_id", input.reply_to_message_id)
  }
  const message = post(world, chat, chat.type === "channel" ? undefined : from.id, posted, placement)
  return world.render(message, from.id)
}

/** A user edits their message's text or caption, or as a channel admin allowed to, a channel post. */
export const editMessage = (
  world: World,
  input: { from: number; chat_id: number; message_id: number; text?: string; caption?: string }
): Message => {
  const from = userOf(world, "from", input.from)
  const chat = chatOfUser(world, from.id, input.chat_id)
  const id = requireNumber("message_id", input.message_id)
  const message = chat.messages.get(id)
  if (message === undefined || message.deleted) throw invalidField("message_id", "no such message", 404)
  // A channel post has no sender: admins allowed to edit posts edit it.
  const ownPost = chat.type === "channel" && world.can(chat, from.id, "can_edit_messages")
  if (message.from !== from.id && !ownPost)
    throw invalidField("message_id", "users can edit only their own messages", 403)
  const patch =
    input.text !== undefined
      ? { text: input.text, entities: detectEntities(input.text) }
      : input.caption !== undefined
        ? { caption: input.caption, captionEntities: detectEntities(input.caption) }
        : undefined
  if (patch === undefined) throw invalidField("text", "text or caption is required")
  return world.render(edit(world, chat, from.id, id, patch, true), from.id)
}

/** A user sets their reactions on a message (emoji strings or ReactionType objects). */
export const reactTo = (
  world: World,
  input: { from: number; chat_id: number; message_id: number; reaction: ReadonlyArray<string | ReactionType> }
): void => {
  const from = userOf(world, "from", input.from)
  const chat = chatOfUser(world, from.id, input.chat_id)
  const raw: unknown = input.reaction
  if (!Array.isArray(raw)) throw invalidField("reaction", "must be an array")
  const reactions = (raw as ReadonlyArray<string | ReactionType>).map((r): ReactionType =>
    typeof r === "string" ? ({ type: "emoji", emoji: r } as ReactionType) : r
  )
  if (world.message(chat, requireNumber("message_id", input.message_id)) === undefined) {
    throw invalidField("message_id", "no such message", 404)
  }
  react(world, chat, from.id, input.message_id, reactions)
}

/** A user deletes a message (their own, or any as an admin). */
export const deleteMessage = (
  world: World,
  input: { from: number; chat_id: number; message_id: number }
): void => {
  const from = userOf(world, "from", input.from)
  const chat = chatOfUser(world, from.id, input.chat_id)
  remove(world, chat, from.id, requireNumber("message_id", input.message_id))
}

/** A user presses an inline button; the bot that sent the message gets `callback_query`. */
export const pressButton = (
  world: World,
  input: { from: number; chat_id: number; message_id: number; data: string }
): { callback_query_id: string } => {
  const from = userOf(world, "from", input.from)
  const chat = chatOfUser(world, from.id, input.chat_id)
  const message = world.message(chat, requireNumber("message_id", input.message_id))
  if (message === undefined) throw invalidField("message_id", "no such message", 404)
  const buttons = message.replyMarkup?.inline_keyboard.flat() ?? []
  if (!buttons.some((b) => "callback_data" in b && b.callback_data === input.data)) {
    throw invalidField("data", "the message has no button with this callback_data")
  }
  const botId = message.from!
  const id = BigInt(`0x${randomBytes(8).toString("hex")}`).toString()
  world.callbacks.set(id, { id, botId })
  const query: CallbackQuery = {
    id,
    from: toUser(from),
    message: world.render(message, botId),
    chat_instance: BigInt(`0x${createHash("sha256").update(chat.key).digest("hex").slice(0, 15)}`).toString(),
    data: input.data
  }
  world.push(botId, { callback_query: query })
  return { callback_query_id: id }
}

/** A user blocks (or unblocks) a bot; the bot gets `my_chat_member`, and 403 when it writes. */
export const block = (world: World, input: { user: number; bot: number; blocked?: boolean }): void => {
  const user = userOf(world, "user", input.user)
  const bot = world.bots.get(requireNumber("bot", input.bot))
  if (bot === undefined) throw invalidField("bot", "no such bot", 404)
  const blocked = input.blocked ?? true
  if (bot.blockedBy.has(user.id) === blocked) return
  if (blocked) bot.blockedBy.add(user.id)
  else bot.blockedBy.delete(user.id)
  const chat = world.privateChat(user.id, bot.user.id)
  const member = (status: "member" | "kicked") =>
    status === "kicked"
      ? { status, user: toUser(bot.user), until_date: 0 }
      : { status, user: toUser(bot.user) }
  world.push(bot.user.id, {
    my_chat_member: {
      chat: toChat(world, chat, bot.user.id),
      from: toUser(user),
      date: world.now(),
      old_chat_member: member(blocked ? "member" : "kicked"),
      new_chat_member: member(blocked ? "kicked" : "member")
    }
  })
}
