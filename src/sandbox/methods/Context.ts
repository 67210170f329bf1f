import type { InlineKeyboardMarkup, MessageEntity } from "grammy/types"
import { badRequest } from "../BotApiError.ts"
import type { RateLimiter } from "../Limits.ts"
import type { BotRecord } from "../Model.ts"
import type { Placement } from "../Messaging.ts"
import type { Params } from "../Params.ts"
import type { World } from "../World.ts"

/** What a Bot API method gets: the calling bot, its parameters and the sandbox's parts. */
export interface MethodContext {
  readonly world: World
  readonly bot: BotRecord
  readonly params: Params
  readonly limiter: RateLimiter
  readonly signal: AbortSignal
  /** Starts webhook delivery for the bot once a webhook is set. */
  readonly startWebhook: (botId: number) => void
}

export type Method = (ctx: MethodContext) => unknown

export const botId = (ctx: MethodContext): number => ctx.bot.user.id

/** Where a sent message goes: `message_thread_id` and `reply_parameters` (or the older `reply_to_message_id`). */
export const placementOf = (params: Params): Placement => {
  const reply = params.optJson<{ message_id?: unknown; allow_sending_without_reply?: unknown }>(
    "reply_parameters"
  )
  const replyTo =
    reply?.message_id === undefined ? params.optInt("reply_to_message_id") : Number(reply.message_id)
  if (replyTo !== undefined && !Number.isInteger(replyTo))
    throw badRequest("invalid reply_parameters specified")
  const allow = reply?.allow_sending_without_reply
  return {
    threadId: params.optInt("message_thread_id"),
    replyTo,
    allowWithoutReply:
      allow === undefined
        ? params.bool("allow_sending_without_reply")
        : allow === true || allow === "true" || allow === "True"
  }
}

/**
 * The inline keyboard to attach. Reply keyboards, removal and force-reply are accepted but, as in
 * the Bot API, never appear on the returned message.
 */
export const markupOf = (params: Params): InlineKeyboardMarkup | undefined => {
  const markup = params.optJson<Partial<InlineKeyboardMarkup>>("reply_markup")
  if (markup === undefined || !Array.isArray(markup.inline_keyboard)) return undefined
  for (const row of markup.inline_keyboard) {
    if (!Array.isArray(row))
      throw badRequest("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    for (const button of row) {
      if (typeof button.text !== "string" || button.text === "")
        throw badRequest(
          "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
      if ("callback_data" in button && Buffer.byteLength(button.callback_data) > 64)
        throw badRequest("BUTTON_DATA_INVALID")
    }
  }
  return { inline_keyboard: markup.inline_keyboard }
}

export const entitiesOf = (params: Params, name: string): Array<MessageEntity> | undefined =>
  params.optJson<Array<MessageEntity>>(name)
