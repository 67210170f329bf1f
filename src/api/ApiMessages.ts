import type { ConnectionId } from "../domain/Ids.ts"
import type { OutboxEntry } from "../telegram/Outbox.ts"
import type { MessageBody } from "./Api.ts"
import { BadRequest } from "./ApiErrors.ts"

const captionLimit = 1024

/** Where a message goes and under which actor its call is filed. */
export interface Target {
  readonly connection: ConnectionId
  readonly chatId: number
  readonly threadId: number | null
  readonly actorKey?: string
  readonly cause: string
  /** Mail a refusal to `actorKey` as `delivery.failed` (a dialog notes a client who blocked the bot). */
  readonly reportFailure?: boolean
}

/**
 * The one Bot API call a message body makes: `sendMessage`, a single attachment with the text as
 * its caption, or an album (`sendMediaGroup`, caption on the first item, no buttons). 400 naming
 * the field for what Telegram would refuse anyway.
 */
export const callFor = (body: MessageBody, target: Target): OutboxEntry | BadRequest => {
  const attachments = body.attachments ?? []
  if (body.text === undefined && attachments.length === 0)
    return new BadRequest({ error: "a message needs a text or attachments", field: "text" })
  if (attachments.length > 0 && (body.text?.length ?? 0) > captionLimit)
    return new BadRequest({
      error: `with attachments the text is their caption, at most ${captionLimit} characters`,
      field: "text"
    })
  if (attachments.length > 1 && body.buttons !== undefined)
    return new BadRequest({ error: "an album of attachments cannot carry buttons", field: "buttons" })
  const common: Record<string, unknown> = {
    chat_id: target.chatId,
    ...(target.threadId === null || target.threadId === 1 ? {} : { message_thread_id: target.threadId }),
    ...(body.silent === true ? { disable_notification: true } : {})
  }
  const formatting = body.parse_mode === undefined ? {} : { parse_mode: body.parse_mode }
  const markup =
    body.buttons === undefined
      ? {}
      : { reply_markup: { inline_keyboard: body.buttons.map((row) => [...row]) } }
  const entry = (method: string, params: Record<string, unknown>): OutboxEntry => ({
    connection: target.connection,
    chatId: target.chatId,
    method,
    params: { ...common, ...params },
    cause: target.cause,
    ...(target.actorKey === undefined ? {} : { actorKey: target.actorKey }),
    ...(target.reportFailure === true ? { reportFailure: true } : {})
  })
  const [first] = attachments
  if (first === undefined) return entry("sendMessage", { text: body.text, ...formatting, ...markup })
  const caption = body.text === undefined ? {} : { caption: body.text, ...formatting }
  if (attachments.length === 1)
    return entry(`send${first.type[0]!.toUpperCase()}${first.type.slice(1)}`, {
      [first.type]: first.url,
      ...caption,
      ...markup
    })
  if (attachments.some((item) => item.type === "animation"))
    return new BadRequest({ error: "an album cannot hold animations", field: "attachments" })
  return entry("sendMediaGroup", {
    media: attachments.map((item, index) => ({
      type: item.type,
      media: item.url,
      ...(index === 0 ? caption : {})
    }))
  })
}
