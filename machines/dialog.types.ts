import type { DialogInbox, DialogSettings } from "../src/domain/DialogSettings.ts"
import type {
  CallbackPressed,
  MessageEdited,
  MessageReceived,
  ReactionChanged,
  TelegramUser
} from "../src/domain/Events.ts"
import type { OutboxSend, TimerCancel, TimerSet, TopicClaim } from "../src/domain/Reserved.ts"
import type { Author, ButtonFields, CommandFields, PostedFields } from "./group.messages.ts"

/** Where a dialog stands: who wrote last, on hold, closed; before its topic exists, new or opening. */
export type DialogStatus = "new" | "opening" | "awaitingTeam" | "answered" | "onHold" | "closed"

export interface DialogContext {
  /** The connection the client writes to, e.g. `bot:7000000001`. */
  readonly connection: string
  /** The client's user id (the private chat's id). */
  readonly peerId: number
  /** The backend group the dialog's topic lives in; `null` until the first message names it. */
  readonly groupId: number | null
  readonly threadId: number | null
  readonly client: TelegramUser | null
  /** The parameter of the client's `/start <param>`, if any. */
  readonly startParam: string | null
  /** Client messages waiting for the topic to exist, in order. */
  readonly waiting: ReadonlyArray<number>
  readonly status: DialogStatus
  /** The settings last handed over with an event (the connection's, at that time). */
  readonly settings: DialogSettings | null
  /** Whether the client has blocked the bot (the last answer was refused with 403). */
  readonly blocked: boolean
  /** How many topics this dialog has had (more than one after a topic was deleted by hand). */
  readonly topics: number
  /** When (Telegram's `date`, seconds) the client's latest messages were sent, for the flood limit. */
  readonly recent: ReadonlyArray<number>
  /** Until when (Telegram's `date`) the client's messages are not relayed after flooding; 0 = not muted. */
  readonly mutedUntil: number
  /**
   * The team's latest answers with how to send them again by content: if a topic is deleted before
   * an answer is copied, the copy fails ("message to copy not found") and this is sent instead.
   */
  readonly answers: ReadonlyArray<{
    readonly messageId: number
    readonly method: string
    readonly params: Readonly<Record<string, unknown>>
  }>
  /** The client card's message in the topic, edited when the client's name or details change. */
  readonly cardMessageId: number | null
  /** An album being received, sent on together once it is complete (`dialog.albumDue`). */
  readonly album: {
    readonly to: "client" | "topic"
    readonly mediaGroupId: string
    readonly messageIds: ReadonlyArray<number>
  } | null
  /**
   * Answers sent by `dialog.answer` whose record in the topic is being posted, oldest first: who
   * sent each, matched to the posted message (`dialog.answerPosted`) by its text.
   */
  readonly answering: ReadonlyArray<{ readonly by: number; readonly text: string }>
}

/** What the Router adds to a dialog's message, edit or reaction (see `ForDialog` in src/actors/Routes.ts). */
export interface Linked {
  /** The other side of the message replied to. */
  readonly replyTo?: { readonly chatId: number; readonly messageId: number } | undefined
  /** The other side of the message edited or reacted to. */
  readonly counterpart?: { readonly chatId: number; readonly messageId: number } | undefined
  /** For `/ban` and `/unban`: whether its author may ban users in the group (asked of Telegram). */
  readonly mayBan?: boolean | undefined
}

export type DialogMessage = MessageReceived & DialogInbox & Linked
export type DialogEdit = MessageEdited & DialogInbox & Linked
export type DialogReaction = ReactionChanged & DialogInbox & Linked
/** A button pressed under a message in the dialog's topic (told to plugins, see dialog.plugins.ts). */
export type DialogPress = CallbackPressed & DialogInbox

/** Which side a message is relayed to: the client's private chat, or the dialog's topic. */
export type Side = "client" | "topic"

/** The created topic, mailed back for the `createForumTopic` call (`replyAs`). */
export interface TopicOpened {
  readonly type: "dialog.topicCreated"
  readonly result: { readonly message_thread_id: number; readonly name: string }
}

/** A call Telegram refused, mailed back for calls made with `reportFailure` or `replyAs`. */
export interface DialogDeliveryFailed {
  readonly type: "delivery.failed"
  readonly method: string
  readonly code: number
  readonly description: string
  readonly params?: Readonly<Record<string, unknown>>
}

/** The dialog's timers: AUTOCLOSE, and an album complete. */
export type DialogTimer = { readonly type: "dialog.autoClose" } | { readonly type: "dialog.albumDue" }

/** Command (`/new` in General): open the dialog's topic before the client writes. */
export interface DialogOpen {
  readonly type: "dialog.open"
  readonly backendGroup: number
  readonly settings: DialogSettings
  /** Who asked. */
  readonly by: number
}

/** The client card's message, mailed back for its `sendMessage` (`replyAs`): kept current from then on. */
export interface CardPosted {
  readonly type: "dialog.cardPosted"
  readonly messageId: number | null
}

/**
 * Command (a plugin, e.g. assist's Send): answer the client with `text` as the team does. The
 * answer is posted in the topic (replying to `replyTo`, or after a note naming `by` and `via`), then
 * copied to the client like an operator's answer: replies, edits and reactions follow it, the
 * dialog is answered and `dialog.teamAnswered` is emitted. Ignored before the topic exists.
 */
export interface DialogAnswer {
  readonly type: "dialog.answer"
  readonly text: string
  /** Who sent it (the operator who pressed Send, or an assistant bot). */
  readonly by: Author
  /** What sent it, shown in the note (`"assist"`); the note says nothing of it when absent. */
  readonly via?: string
  /** A message of the topic the answer's record replies to (the plugin's draft): then no note. */
  readonly replyTo?: number
}

/** An answer's record in the topic, mailed back for its `sendMessage` (`replyAs`): copied to the client. */
export interface AnswerPosted {
  readonly type: "dialog.answerPosted"
  readonly messageId: number | null
  readonly result?: { readonly text?: string } | null
}

export type DialogEvent =
  | DialogMessage
  | DialogEdit
  | DialogReaction
  | DialogPress
  | TopicOpened
  | DialogDeliveryFailed
  | DialogTimer
  | DialogOpen
  | CardPosted
  | DialogAnswer
  | AnswerPosted

export interface DialogRef {
  readonly connection: string
  readonly peerId: number
  readonly chatId: number
  readonly threadId: number
}

/** Facts the dialog actor emits (journalled for plugins), and the reserved events it asks effects with. */
export type DialogEmitted =
  | (DialogRef & { readonly type: "dialog.opened"; readonly client: TelegramUser | null })
  | (DialogRef & { readonly type: "dialog.clientWrote"; readonly messageId: number })
  | (DialogRef & {
      readonly type: "dialog.teamAnswered"
      readonly messageId: number
      readonly by: number
      /** The answer's text, for answers sent by `dialog.answer` (the topic's message is the bot's). */
      readonly text?: string
    })
  | (DialogRef & {
      readonly type: "dialog.statusChanged"
      readonly status: DialogStatus
      readonly by: number | null
    })
  | (DialogRef & { readonly type: "dialog.topicRecreated"; readonly previousThreadId: number })
  | (DialogRef & { readonly type: "dialog.clientBlocked" })
  | (DialogRef & { readonly type: "dialog.clientBanned"; readonly by: number })
  | (DialogRef & { readonly type: "dialog.clientUnbanned"; readonly by: number })
  | {
      readonly type: "dialog.clientMuted"
      readonly connection: string
      readonly peerId: number
      readonly until: number
    }
  /** An operator's command the dialog does not handle, and a button pressed in its topic: for plugins. */
  | ({ readonly type: "group.commandIssued" } & PostedFields & CommandFields)
  | ({ readonly type: "group.buttonPressed" } & ButtonFields)
  | OutboxSend
  | TopicClaim
  | TimerSet
  | TimerCancel

/** `dialog:<connection>:<peerId>`, where the connection itself holds a colon (`bot:7000000001`). */
export const parseKey = (key: string) => {
  const parts = key.split(":")
  return { connection: parts.slice(1, -1).join(":"), peerId: Number(parts.at(-1)) }
}

export const refOf = (context: DialogContext): DialogRef => ({
  connection: context.connection,
  peerId: context.peerId,
  chatId: context.groupId!,
  threadId: context.threadId!
})

export const isClient = (context: DialogContext, event: DialogEvent): event is DialogMessage =>
  event.type === "message.received" && event.chat.type === "private" && event.chat.id === context.peerId

export const isTeam = (context: DialogContext, event: DialogEvent): event is DialogMessage =>
  event.type === "message.received" && event.chat.id === context.groupId && event.from?.is_bot === false
