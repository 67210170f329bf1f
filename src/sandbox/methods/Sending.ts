import type { ChatPermissions, Contact, Location } from "grammy/types"
import { badRequest } from "../BotApiError.ts"
import { formatText } from "../Entities.ts"
import type { FileKind } from "../Files.ts"
import { checkCanSend, checkLengths, place, type Content, type Placement } from "../Messaging.ts"
import type { ChatRecord, StoredMessage } from "../Model.ts"
import { botId, entitiesOf, markupOf, placementOf, type Method, type MethodContext } from "./Context.ts"
import { captionOf, compact, mediaOf, metaOf } from "./Media.ts"

/** Checks, flood control, then stores and delivers: the common path of every sending method. */
export const send = (
  ctx: MethodContext,
  chat: ChatRecord,
  contents: ReadonlyArray<Content>,
  placement: Placement,
  right?: keyof ChatPermissions
): Array<StoredMessage> => {
  checkCanSend(ctx.world, chat, botId(ctx), right)
  for (const content of contents) checkLengths(content)
  const where = place(ctx.world, chat, botId(ctx), placement)
  ctx.limiter.take(botId(ctx), chat.key, chat.type === "private", contents.length)
  return contents.map((content) => {
    const message = ctx.world.store(chat, {
      ...(chat.type === "channel" ? {} : { from: botId(ctx) }),
      ...where,
      ...content
    })
    ctx.world.deliver(chat, message, "message")
    return message
  })
}

export const chatOf = (ctx: MethodContext): ChatRecord => ctx.world.chatFor(botId(ctx), ctx.params.chatId())

const sendOne = (ctx: MethodContext, content: Content, right?: keyof ChatPermissions) => {
  const markup = markupOf(ctx.params)
  const [message] = send(
    ctx,
    chatOf(ctx),
    [{ ...content, ...(markup !== undefined ? { replyMarkup: markup } : {}) }],
    placementOf(ctx.params),
    right
  )
  return ctx.world.render(message!, botId(ctx))
}

const sendMessage: Method = (ctx) => {
  const { text, entities } = formatText(
    ctx.params.string("text", "message text is empty"),
    ctx.params.optString("parse_mode"),
    entitiesOf(ctx.params, "entities")
  )
  return sendOne(ctx, { text, entities })
}

const sendMedia =
  (kind: FileKind, right: keyof ChatPermissions, captioned = true): Method =>
  (ctx) => {
    const media = mediaOf(ctx, kind, kind, ctx.params.raw(kind), metaOf(ctx.params))
    const spoiler = ctx.params.bool("has_spoiler") ? { hasSpoiler: true as const } : {}
    return sendOne(ctx, { media, ...(captioned ? captionOf(ctx.params) : {}), ...spoiler }, right)
  }

interface InputMediaLike {
  readonly type?: string
  readonly media?: unknown
  readonly caption?: string
  readonly parse_mode?: string
  readonly caption_entities?: unknown
  readonly has_spoiler?: boolean
  readonly duration?: number
  readonly width?: number
  readonly height?: number
  readonly performer?: string
  readonly title?: string
}

const albumKinds: Record<string, FileKind> = {
  photo: "photo",
  video: "video",
  document: "document",
  audio: "audio"
}

const sendMediaGroup: Method = (ctx) => {
  const items = ctx.params.optJson<Array<InputMediaLike>>("media")
  if (!Array.isArray(items) || items.length < 2 || items.length > 10)
    throw badRequest("array of media must contain 2-10 items")
  const kinds = items.map(
    (item) => albumKinds[item.type ?? ""] ?? badRequest(`unsupported media type "${item.type}"`)
  )
  if (kinds.some((kind) => kind instanceof Error)) throw kinds.find((kind) => kind instanceof Error)!
  const fileKinds = kinds as Array<FileKind>
  for (const solo of ["document", "audio"] as const) {
    if (fileKinds.includes(solo) && fileKinds.some((kind) => kind !== solo))
      throw badRequest(`${solo} can't be mixed with other media types`)
  }
  const groupId = ctx.world.newMediaGroupId()
  const contents = items.map((item, index): Content => {
    const params = ctx.params.with({
      caption: item.caption,
      parse_mode: item.parse_mode,
      caption_entities: item.caption_entities
    })
    const media = mediaOf(ctx, fileKinds[index]!, fileKinds[index]!, item.media, item)
    return {
      media,
      ...captionOf(params),
      mediaGroupId: groupId,
      ...(item.has_spoiler === true ? { hasSpoiler: true as const } : {})
    }
  })
  return send(ctx, chatOf(ctx), contents, placementOf(ctx.params), "can_send_photos").map((m) =>
    ctx.world.render(m, botId(ctx))
  )
}

const sendLocation: Method = (ctx) => {
  const latitude = ctx.params.optFloat("latitude")
  const longitude = ctx.params.optFloat("longitude")
  if (latitude === undefined || Math.abs(latitude) > 90) throw badRequest("wrong latitude")
  if (longitude === undefined || Math.abs(longitude) > 180) throw badRequest("wrong longitude")
  const extra = compact({
    horizontal_accuracy: ctx.params.optFloat("horizontal_accuracy"),
    live_period: ctx.params.optInt("live_period"),
    heading: ctx.params.optInt("heading"),
    proximity_alert_radius: ctx.params.optInt("proximity_alert_radius")
  })
  const location: Location = { latitude, longitude, ...extra }
  return sendOne(ctx, { location }, "can_send_other_messages")
}

const sendContact: Method = (ctx) => {
  const contact: Contact = {
    phone_number: ctx.params.string("phone_number", "phone number is empty"),
    first_name: ctx.params.string("first_name", "first name is empty"),
    ...compact({ last_name: ctx.params.optString("last_name"), vcard: ctx.params.optString("vcard") })
  }
  return sendOne(ctx, { contact }, "can_send_other_messages")
}

const chatActions = new Set([
  "typing",
  "upload_photo",
  "record_video",
  "upload_video",
  "record_voice",
  "upload_voice",
  "upload_document",
  "choose_sticker",
  "find_location",
  "record_video_note",
  "upload_video_note"
])

const sendChatAction: Method = (ctx) => {
  const chat = chatOf(ctx)
  const action = ctx.params.string("action", "action is empty")
  if (!chatActions.has(action)) throw badRequest("wrong parameter action in request")
  checkCanSend(ctx.world, chat, botId(ctx))
  ctx.world.chatActions.set(`${chat.key}`, { action, botId: botId(ctx), at: ctx.world.now() })
  return true
}

export const sendingMethods: Record<string, Method> = {
  sendMessage,
  sendPhoto: sendMedia("photo", "can_send_photos"),
  sendDocument: sendMedia("document", "can_send_documents"),
  sendVideo: sendMedia("video", "can_send_videos"),
  sendVoice: sendMedia("voice", "can_send_voice_notes"),
  sendVideoNote: sendMedia("video_note", "can_send_video_notes", false),
  sendAudio: sendMedia("audio", "can_send_audios"),
  sendAnimation: sendMedia("animation", "can_send_other_messages"),
  sendSticker: sendMedia("sticker", "can_send_other_messages", false),
  sendMediaGroup,
  sendLocation,
  sendContact,
  sendChatAction
}
