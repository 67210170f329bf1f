import type { ReactionType } from "grammy/types"
import { badRequest } from "../BotApiError.ts"
import { formatText } from "../Entities.ts"
import { checkCanSend, edit, remove } from "../Messaging.ts"
import { pin, unpin } from "../Pins.ts"
import { react } from "../Reactions.ts"
import type { ChatRecord } from "../Model.ts"
import { botId, entitiesOf, markupOf, type Method, type MethodContext } from "./Context.ts"

const target = (ctx: MethodContext): [ChatRecord, number] => {
  if (ctx.params.has("inline_message_id"))
    throw badRequest("inline messages are not supported by the sandbox")
  const chat = ctx.world.chatFor(botId(ctx), ctx.params.chatId())
  checkCanSend(ctx.world, chat, botId(ctx))
  return [chat, ctx.params.int("message_id", "message identifier is not specified")]
}

const editMessageText: Method = (ctx) => {
  const [chat, id] = target(ctx)
  const source = ctx.params.string("text", "message text is empty")
  const { text, entities } = formatText(
    source,
    ctx.params.optString("parse_mode"),
    entitiesOf(ctx.params, "entities")
  )
  const markup = markupOf(ctx.params)
  const message = edit(ctx.world, chat, botId(ctx), id, {
    text,
    entities,
    ...(markup !== undefined ? { replyMarkup: markup } : {})
  })
  return ctx.world.render(message, botId(ctx))
}

const editMessageCaption: Method = (ctx) => {
  const [chat, id] = target(ctx)
  const source = ctx.params.optString("caption") ?? ""
  const { text, entities } = formatText(
    source,
    ctx.params.optString("parse_mode"),
    entitiesOf(ctx.params, "caption_entities")
  )
  const markup = markupOf(ctx.params)
  const patch = {
    caption: text,
    captionEntities: entities,
    ...(markup !== undefined ? { replyMarkup: markup } : {})
  }
  return ctx.world.render(edit(ctx.world, chat, botId(ctx), id, patch), botId(ctx))
}

const editMessageReplyMarkup: Method = (ctx) => {
  const [chat, id] = target(ctx)
  const markup = markupOf(ctx.params)
  const message = edit(ctx.world, chat, botId(ctx), id, markup !== undefined ? { replyMarkup: markup } : {})
  return ctx.world.render(message, botId(ctx))
}

const deleteMessage: Method = (ctx) => {
  const [chat, id] = target(ctx)
  remove(ctx.world, chat, botId(ctx), id)
  return true
}

const deleteMessages: Method = (ctx) => {
  const chat = ctx.world.chatFor(botId(ctx), ctx.params.chatId())
  checkCanSend(ctx.world, chat, botId(ctx))
  const ids = ctx.params.optJson<Array<number>>("message_ids") ?? []
  if (!Array.isArray(ids) || ids.length < 1 || ids.length > 100)
    throw badRequest("message_ids must contain 1-100 items")
  let deleted = 0
  let firstError: unknown
  for (const id of ids) {
    try {
      remove(ctx.world, chat, botId(ctx), Number(id))
      deleted += 1
    } catch (error) {
      firstError ??= error
    }
  }
  if (deleted === 0) throw firstError
  return true
}

const setMessageReaction: Method = (ctx) => {
  const [chat, id] = target(ctx)
  const reactions = ctx.params.optJson<Array<ReactionType>>("reaction") ?? []
  if (!Array.isArray(reactions)) throw badRequest("REACTION_INVALID")
  react(ctx.world, chat, botId(ctx), id, reactions)
  return true
}

const pinChatMessage: Method = (ctx) => {
  const [chat, id] = target(ctx)
  pin(ctx.world, chat, botId(ctx), id)
  return true
}

const unpinChatMessage: Method = (ctx) => {
  const chat = ctx.world.chatFor(botId(ctx), ctx.params.chatId())
  checkCanSend(ctx.world, chat, botId(ctx))
  unpin(ctx.world, chat, botId(ctx), ctx.params.optInt("message_id"))
  return true
}

export const editingMethods: Record<string, Method> = {
  editMessageText,
  editMessageCaption,
  editMessageReplyMarkup,
  deleteMessage,
  deleteMessages,
  setMessageReaction,
  pinChatMessage,
  unpinChatMessage
}
