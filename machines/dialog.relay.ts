import type { OutboxSend, TimerCancel, TimerSet } from "../src/domain/Reserved.ts"
import { retitle, send, splitText } from "./dialog.text.ts"
import {
  refOf,
  type DialogContext,
  type DialogEdit,
  type DialogEmitted,
  type DialogEvent,
  type DialogMessage,
  type DialogReaction,
  type DialogStatus,
  type Linked,
  type Side
} from "./dialog.types.ts"

const placement = (context: DialogContext, to: Side) =>
  to === "topic" ? { message_thread_id: context.threadId } : {}

const replyParameters = (replyTo: Linked["replyTo"]) =>
  replyTo === undefined
    ? {}
    : { reply_parameters: { message_id: replyTo.messageId, allow_sending_without_reply: true } }

const chatOf = (context: DialogContext, side: Side) => (side === "topic" ? context.groupId! : context.peerId)
const otherSide = (side: Side): Side => (side === "topic" ? "client" : "topic")

/**
 * Copies messages from one side to the other: one `copyMessage` (keeping a reply's mapping), or
 * `copyMessages` for several, which keeps albums together. A refusal is reported back.
 */
export const copyTo = (
  context: DialogContext,
  to: Side,
  messageIds: ReadonlyArray<number>,
  replyTo?: Linked["replyTo"]
): OutboxSend => {
  const from = chatOf(context, otherSide(to))
  return messageIds.length === 1
    ? send(
        context,
        chatOf(context, to),
        "copyMessage",
        {
          from_chat_id: from,
          message_id: messageIds[0],
          ...placement(context, to),
          ...replyParameters(replyTo)
        },
        { reportFailure: true }
      )
    : send(
        context,
        chatOf(context, to),
        "copyMessages",
        { from_chat_id: from, message_ids: messageIds, ...placement(context, to) },
        { reportFailure: true }
      )
}

/**
 * An edit crossing the dialog: edited in place where Backline's copy is known (text or caption),
 * otherwise, for a client's edit, a marked note in the topic. A team message that never reached
 * the client (a comment) stays where it is.
 */
export const relayEdit = (context: DialogContext, event: DialogEdit, to: Side): Array<OutboxSend> => {
  const text = event.message.text
  const caption = event.message.caption
  const target = event.counterpart
  if (target !== undefined && text !== undefined)
    return [
      send(context, target.chatId, "editMessageText", {
        message_id: target.messageId,
        text,
        ...(event.message.entities === undefined ? {} : { entities: event.message.entities })
      })
    ]
  if (target !== undefined && caption !== undefined)
    return [
      send(context, target.chatId, "editMessageCaption", {
        message_id: target.messageId,
        caption,
        ...(event.message.caption_entities === undefined
          ? {}
          : { caption_entities: event.message.caption_entities })
      })
    ]
  if (to === "client") return []
  return splitText(`✏️ The client edited a message:\n${text ?? caption ?? "(its media)"}`).map((part) =>
    send(context, context.groupId!, "sendMessage", {
      message_thread_id: context.threadId,
      text: part,
      ...(target === undefined ? {} : replyParameters(target))
    })
  )
}

/** A reaction crossing the dialog: Backline's copy gets the (first) emoji reaction, or none. */
export const relayReaction = (context: DialogContext, event: DialogReaction): Array<OutboxSend> => {
  const target = event.counterpart
  if (target === undefined) return []
  const emoji = event.reactions
    .flatMap((reaction) => (reaction.type === "emoji" ? [reaction] : []))
    .slice(0, 1)
  return [
    send(context, target.chatId, "setMessageReaction", { message_id: target.messageId, reaction: emoji })
  ]
}

/** REPLY_ONLY: only a reply to one of the bot's messages in the topic (not the topic's own root) is sent. */
export const isExplicitReply = (context: DialogContext, event: DialogMessage) => {
  const replied = event.message.reply_to_message
  return replied !== undefined && replied.message_id !== context.threadId && replied.from?.is_bot === true
}

export const autoCloseTimer = (hours: number): TimerSet | TimerCancel =>
  hours > 0
    ? {
        type: "timer.set",
        name: "autoClose",
        delayMs: hours * 3_600_000,
        event: { type: "dialog.autoClose" }
      }
    : { type: "timer.cancel", name: "autoClose" }

/** How long the parts of an album are waited for before they are sent on together. */
const albumWaitMs = 800

/** What sending on the album being received emits (nothing if there is none). */
export const flushAlbum = (context: DialogContext): Array<DialogEmitted> =>
  context.album === null ? [] : [copyTo(context, context.album.to, context.album.messageIds)]

/**
 * Relays a message to `to`: an album's parts are gathered (an album in progress is sent on first
 * when something else comes), anything else is copied at once. Answers the emits and the album.
 */
export const relay = (context: DialogContext, event: DialogMessage, to: Side) => {
  const group = event.message.media_group_id
  if (group === undefined)
    return {
      emits: [...flushAlbum(context), copyTo(context, to, [event.messageId], event.replyTo)],
      album: null
    }
  const same = context.album !== null && context.album.to === to && context.album.mediaGroupId === group
  const album = {
    to,
    mediaGroupId: group,
    messageIds: [...(same ? context.album.messageIds : []), event.messageId]
  }
  const due: TimerSet = {
    type: "timer.set",
    name: "album",
    delayMs: albumWaitMs,
    event: { type: "dialog.albumDue" }
  }
  return { emits: [...(same ? [] : flushAlbum(context)), due], album }
}

/** What changing the status to `status` emits: the retitle and the fact (nothing if unchanged). */
export const statusChange = (
  context: DialogContext,
  status: DialogStatus,
  by: number | null
): Array<DialogEmitted> =>
  context.status === status || context.threadId === null
    ? []
    : [retitle(context, status), { type: "dialog.statusChanged", ...refOf(context), status, by }]

export const byOf = (event: DialogEvent) =>
  event.type === "message.received" ? (event.from?.id ?? null) : null

/** The side an edit or a reaction goes to, or none (a bot's, or another chat's). */
export const sideOf = (context: DialogContext, event: DialogEdit | DialogReaction): Side | undefined =>
  event.chat.id === context.peerId
    ? "topic"
    : event.chat.id === context.groupId && event.from?.is_bot === false
      ? "client"
      : undefined

/** The flood limit: more than `messages` client messages within `seconds` mutes the client for `muteSeconds`. */
export const floodLimit = { messages: 20, seconds: 60, muteSeconds: 600 } as const

/** Whether a client's message is muted (after flooding), is one too many (it mutes), or neither. */
export const floodOf = (context: DialogContext, event: DialogMessage): "muted" | "flooding" | undefined => {
  const date = event.message.date
  if (date < context.mutedUntil) return "muted"
  const recent = context.recent.filter((sent) => sent > date - floodLimit.seconds)
  return recent.length >= floodLimit.messages ? "flooding" : undefined
}

/** The client's recent message dates with this one: what the flood limit counts. */
export const recentWith = (context: DialogContext, event: DialogMessage) =>
  [
    ...context.recent.filter((sent) => sent > event.message.date - floodLimit.seconds),
    event.message.date
  ].slice(-floodLimit.messages)

/**
 * How to send a message again by its content (the send method matching its kind), for when the
 * original cannot be copied any more; `undefined` for kinds that cannot be re-sent.
 */
export const resendOf = (
  message: DialogMessage["message"]
): { readonly method: string; readonly params: Readonly<Record<string, unknown>> } | undefined => {
  if (message.text !== undefined)
    return {
      method: "sendMessage",
      params: { text: message.text, ...(message.entities ? { entities: message.entities } : {}) }
    }
  const caption = {
    ...(message.caption === undefined ? {} : { caption: message.caption }),
    ...(message.caption_entities === undefined ? {} : { caption_entities: message.caption_entities })
  }
  const photo = message.photo?.at(-1)
  if (photo !== undefined) return { method: "sendPhoto", params: { photo: photo.file_id, ...caption } }
  if (message.animation)
    return { method: "sendAnimation", params: { animation: message.animation.file_id, ...caption } }
  if (message.video) return { method: "sendVideo", params: { video: message.video.file_id, ...caption } }
  if (message.audio) return { method: "sendAudio", params: { audio: message.audio.file_id, ...caption } }
  if (message.voice) return { method: "sendVoice", params: { voice: message.voice.file_id, ...caption } }
  if (message.document)
    return { method: "sendDocument", params: { document: message.document.file_id, ...caption } }
  if (message.video_note)
    return { method: "sendVideoNote", params: { video_note: message.video_note.file_id } }
  if (message.sticker) return { method: "sendSticker", params: { sticker: message.sticker.file_id } }
  if (message.location)
    return {
      method: "sendLocation",
      params: { latitude: message.location.latitude, longitude: message.location.longitude }
    }
  if (message.contact)
    return {
      method: "sendContact",
      params: {
        phone_number: message.contact.phone_number,
        first_name: message.contact.first_name,
        ...(message.contact.last_name === undefined ? {} : { last_name: message.contact.last_name })
      }
    }
  return undefined
}

/** The message ids a failed copy carried (`message_id`, or `message_ids` for an album). */
export const failedIds = (params: Readonly<Record<string, unknown>> | undefined): Array<number> => {
  const ids = params?.["message_ids"] ?? [params?.["message_id"]]
  return (Array.isArray(ids) ? ids : []).filter((id): id is number => Number.isInteger(id))
}
