import type { MessageId, MessageOrigin } from "grammy/types"
import { badRequest } from "../BotApiError.ts"
import type { Content } from "../Messaging.ts"
import type { ChatRecord, StoredMessage } from "../Model.ts"
import { toChat, toUser } from "../RenderChat.ts"
import { botId, markupOf, placementOf, type Method, type MethodContext } from "./Context.ts"
import { captionOf } from "./Media.ts"
import { chatOf, send } from "./Sending.ts"

/** The content of a message copied elsewhere: media and text, not service messages. */
const copyContent = (ctx: MethodContext, source: StoredMessage, withCaption: boolean): Content => {
  if (source.service !== undefined) throw badRequest("message can't be copied")
  const override = withCaption ? captionOf(ctx.params) : {}
  const keep = <K extends keyof Content>(key: K) => (source[key] !== undefined ? { [key]: source[key] } : {})
  return {
    ...keep("text"),
    ...keep("entities"),
    ...keep("media"),
    ...keep("location"),
    ...keep("contact"),
    ...keep("hasSpoiler"),
    ...(ctx.params.bool("remove_caption") ? {} : { ...keep("caption"), ...keep("captionEntities") }),
    ...override
  }
}

const sources = (ctx: MethodContext, many: boolean): [ChatRecord, Array<StoredMessage>] => {
  const from = ctx.world.chatFor(botId(ctx), ctx.params.chatId("from_chat_id"))
  if (from.type !== "private" && ctx.world.member(from, botId(ctx)) === undefined)
    throw badRequest("chat not found")
  const ids = many
    ? (ctx.params.optJson<Array<number>>("message_ids") ?? [])
    : [ctx.params.int("message_id", "message_id is empty")]
  if (many && (ids.length < 1 || ids.length > 100)) throw badRequest("message_ids must contain 1-100 items")
  const found = ids.map((id) => ctx.world.message(from, Number(id))).filter((m) => m !== undefined)
  if (found.length === 0) throw badRequest(many ? "messages to copy not found" : "message to copy not found")
  return [from, found]
}

const originOf = (ctx: MethodContext, chat: ChatRecord, message: StoredMessage): MessageOrigin => {
  if (message.forwardOrigin !== undefined) return message.forwardOrigin
  const world = ctx.world
  if (chat.type === "channel") {
    const channel = toChat(world, chat, botId(ctx))
    if (channel.type === "channel")
      return { type: "channel", date: message.date, chat: channel, message_id: message.id }
  }
  return { type: "user", date: message.date, sender_user: toUser(world.user(message.from!)) }
}

const copyMessage: Method = (ctx) => {
  const [, [source]] = sources(ctx, false)
  const markup = markupOf(ctx.params)
  const content = {
    ...copyContent(ctx, source!, true),
    ...(markup !== undefined ? { replyMarkup: markup } : {})
  }
  const [message] = send(ctx, chatOf(ctx), [content], placementOf(ctx.params))
  return { message_id: message!.id } satisfies MessageId
}

const copyMessages: Method = (ctx) => {
  const [, found] = sources(ctx, true)
  const groups = new Map<string, string>()
  const contents = found.map((source) => {
    const content = copyContent(ctx, source, false)
    if (source.mediaGroupId === undefined) return content
    const groupId = groups.get(source.mediaGroupId) ?? ctx.world.newMediaGroupId()
    groups.set(source.mediaGroupId, groupId)
    return { ...content, mediaGroupId: groupId }
  })
  return send(ctx, chatOf(ctx), contents, placementOf(ctx.params)).map((m): MessageId => ({
    message_id: m.id
  }))
}

const forwardMessage: Method = (ctx) => {
  const [from, [source]] = sources(ctx, false)
  const content = { ...copyContent(ctx, source!, false), forwardOrigin: originOf(ctx, from, source!) }
  const [message] = send(ctx, chatOf(ctx), [content], placementOf(ctx.params))
  return ctx.world.render(message!, botId(ctx))
}

export const copyingMethods: Record<string, Method> = { copyMessage, copyMessages, forwardMessage }
