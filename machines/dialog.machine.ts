import { enqueueActions, setup } from "xstate"
import type { DialogInbox } from "../src/domain/DialogSettings.ts"
import type { MessageReceived, TelegramUser } from "../src/domain/Events.ts"
import type { OutboxSend, TimerCancel, TimerSet, TopicClaim } from "../src/domain/Reserved.ts"
import {
  cardOf,
  commandOf,
  openTopic,
  retitle,
  send,
  startParamOf,
  textOf,
  toTopic,
  topicGone,
  welcomeOf,
  type DialogContext,
  type DialogStatus
} from "./dialog.text.ts"

export type { DialogContext, DialogStatus } from "./dialog.text.ts"

/** A message as the Router delivers it to a dialog: with its connection's backend group and settings. */
export type DialogMessage = MessageReceived & DialogInbox

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

/** The AUTOCLOSE timer's event. */
export interface AutoClose {
  readonly type: "dialog.autoClose"
}

export type DialogEvent = DialogMessage | TopicOpened | DialogDeliveryFailed | AutoClose

interface DialogRef {
  readonly connection: string
  readonly peerId: number
  readonly chatId: number
  readonly threadId: number
}

/** Facts the dialog actor emits (journalled for plugins), and the reserved events it asks effects with. */
export type DialogEmitted =
  | (DialogRef & { readonly type: "dialog.opened"; readonly client: TelegramUser | null })
  | (DialogRef & { readonly type: "dialog.clientWrote"; readonly messageId: number })
  | (DialogRef & { readonly type: "dialog.teamAnswered"; readonly messageId: number; readonly by: number })
  | (DialogRef & {
      readonly type: "dialog.statusChanged"
      readonly status: DialogStatus
      readonly by: number | null
    })
  | (DialogRef & { readonly type: "dialog.topicRecreated"; readonly previousThreadId: number })
  | (DialogRef & { readonly type: "dialog.clientBlocked" })
  | OutboxSend
  | TopicClaim
  | TimerSet
  | TimerCancel

const types = {} as {
  context: DialogContext
  events: DialogEvent
  emitted: DialogEmitted
  input: { readonly key: string }
}

/** `dialog:<connection>:<peerId>`, where the connection itself holds a colon (`bot:7000000001`). */
const parseKey = (key: string) => {
  const parts = key.split(":")
  return { connection: parts.slice(1, -1).join(":"), peerId: Number(parts.at(-1)) }
}

const refOf = (context: DialogContext): DialogRef => ({
  connection: context.connection,
  peerId: context.peerId,
  chatId: context.groupId!,
  threadId: context.threadId!
})

const isClient = (context: DialogContext, event: DialogEvent): event is DialogMessage =>
  event.type === "message.received" && event.chat.type === "private" && event.chat.id === context.peerId

const isTeam = (context: DialogContext, event: DialogEvent): event is DialogMessage =>
  event.type === "message.received" && event.chat.id === context.groupId && event.from?.is_bot === false

/** REPLY_ONLY: only a reply to one of the bot's messages in the topic (not the topic's own root) is sent. */
const isExplicitReply = (context: DialogContext, event: DialogMessage) => {
  const replied = event.message.reply_to_message
  return replied !== undefined && replied.message_id !== context.threadId && replied.from?.is_bot === true
}

const autoCloseTimer = (hours: number): TimerSet | TimerCancel =>
  hours > 0
    ? {
        type: "timer.set",
        name: "autoClose",
        delayMs: hours * 3_600_000,
        event: { type: "dialog.autoClose" }
      }
    : { type: "timer.cancel", name: "autoClose" }

/** What changing the status to `status` emits: the retitle and the fact (nothing if unchanged). */
const statusChange = (
  context: DialogContext,
  status: DialogStatus,
  by: number | null
): Array<DialogEmitted> =>
  context.status === status || context.threadId === null
    ? []
    : [retitle(context, status), { type: "dialog.statusChanged", ...refOf(context), status, by }]

const byOf = (event: DialogEvent) => (event.type === "message.received" ? (event.from?.id ?? null) : null)

/**
 * One client conversation ↔ one topic in the backend group; see docs/inbox.md. The client's first
 * real message asks for the topic (its result mailed back as `dialog.topicCreated`) and gets the
 * WELCOME text; messages wait until the topic exists, then follow the client card in order.
 * Operators answer in the topic (not commands, `/ ` comments or bots); `/close`, `/hold`, `/wait`
 * and `/info` act on the dialog; AUTOCLOSE closes it after the team's last answer; a closed dialog
 * reopens on the client's next message; a topic deleted by hand is opened anew.
 */
export const dialogMachine = setup({
  types,
  guards: {
    clientStart: ({ context, event }) => isClient(context, event) && startParamOf(event) !== undefined,
    fromClient: ({ context, event }) => isClient(context, event),
    close: ({ context, event }) => isTeam(context, event) && commandOf(event) === "close",
    hold: ({ context, event }) => isTeam(context, event) && commandOf(event) === "hold",
    wait: ({ context, event }) => isTeam(context, event) && commandOf(event) === "wait",
    info: ({ context, event }) => isTeam(context, event) && commandOf(event) === "info",
    answer: ({ context, event }) =>
      isTeam(context, event) &&
      !textOf(event).startsWith("/") &&
      (!event.settings.replyOnly || isExplicitReply(context, event)),
    topicGone: ({ context, event }) =>
      event.type === "delivery.failed" &&
      event.method === "copyMessage" &&
      event.params?.["chat_id"] === context.groupId &&
      topicGone(event.description),
    blocked: ({ context, event }) =>
      event.type === "delivery.failed" && event.code === 403 && event.params?.["chat_id"] === context.peerId
  },
  actions: {
    /** Asks for the topic (the first time, with the welcome). */
    open: enqueueActions(({ context, event, enqueue }) => {
      if (!isClient(context, event)) return
      const next = { ...context, groupId: event.backendGroup, client: event.from ?? context.client }
      enqueue.assign({ ...next, waiting: [event.messageId], status: "opening", settings: event.settings })
      enqueue.emit(openTopic(next, event.backendGroup))
      const welcome = welcomeOf(next, event.settings)
      if (welcome !== undefined) enqueue.emit(welcome)
    }),
    queue: enqueueActions(({ context, event, enqueue }) => {
      if (isClient(context, event)) enqueue.assign({ waiting: [...context.waiting, event.messageId] })
    }),
    topicReady: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "dialog.topicCreated") return
      const open = {
        ...context,
        threadId: event.result.message_thread_id,
        waiting: [],
        topics: context.topics + 1
      }
      enqueue.assign({ threadId: open.threadId, waiting: [], status: "awaitingTeam", topics: open.topics })
      enqueue.emit({ type: "topic.claim", chatId: open.groupId!, threadId: open.threadId })
      if (context.threadId === null)
        enqueue.emit({ type: "dialog.opened", ...refOf(open), client: open.client })
      else enqueue.emit({ type: "dialog.topicRecreated", ...refOf(open), previousThreadId: context.threadId })
      const note =
        context.threadId === null ? "" : "\n\nThe previous topic of this dialog was deleted; it goes on here."
      enqueue.emit(
        send(open, open.groupId!, "sendMessage", {
          message_thread_id: open.threadId,
          text: cardOf(open) + note
        })
      )
      for (const messageId of context.waiting) {
        enqueue.emit(toTopic(open, messageId))
        enqueue.emit({ type: "dialog.clientWrote", ...refOf(open), messageId })
      }
    }),
    /** The topic is gone: the failed message waits for a new one. */
    reopenTopic: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "delivery.failed") return
      const messageId = Number(event.params?.["message_id"])
      enqueue.assign({ waiting: Number.isInteger(messageId) ? [messageId] : [], status: "opening" })
      enqueue.emit(openTopic(context, context.groupId!))
    }),
    relayToTopic: enqueueActions(({ context, event, enqueue }) => {
      if (!isClient(context, event)) return
      enqueue.assign({ settings: event.settings, client: event.from ?? context.client })
      enqueue.emit(toTopic(context, event.messageId))
      enqueue.emit({ type: "dialog.clientWrote", ...refOf(context), messageId: event.messageId })
      if (context.status === "awaitingTeam") return
      if (context.status === "closed") {
        enqueue.emit(
          send(context, context.groupId!, "reopenForumTopic", { message_thread_id: context.threadId })
        )
        const welcome = welcomeOf(context, event.settings)
        if (welcome !== undefined) enqueue.emit(welcome)
      }
      enqueue.emit({ type: "timer.cancel", name: "autoClose" })
      for (const change of statusChange(context, "awaitingTeam", null)) enqueue.emit(change)
      enqueue.assign({ status: "awaitingTeam" })
    }),
    close: enqueueActions(({ context, event, enqueue }) => {
      enqueue.emit({ type: "timer.cancel", name: "autoClose" })
      enqueue.emit(
        send(context, context.groupId!, "closeForumTopic", { message_thread_id: context.threadId })
      )
      for (const change of statusChange(context, "closed", byOf(event))) enqueue.emit(change)
      enqueue.assign({ status: "closed" })
    }),
    hold: enqueueActions(({ context, event, enqueue }) => {
      enqueue.emit({ type: "timer.cancel", name: "autoClose" })
      for (const change of statusChange(context, "onHold", byOf(event))) enqueue.emit(change)
      enqueue.assign({ status: "onHold" })
    }),
    /** The team answered (or `/wait`): AUTOCLOSE counts from now. */
    markAnswered: enqueueActions(({ context, event, enqueue }) => {
      const settings = event.type === "message.received" ? event.settings : context.settings
      if (settings !== null) enqueue.emit(autoCloseTimer(settings.autoCloseHours))
      for (const change of statusChange(context, "answered", byOf(event))) enqueue.emit(change)
      enqueue.assign({ status: "answered" })
    }),
    relayToClient: enqueueActions(({ context, event, enqueue }) => {
      if (!isTeam(context, event)) return
      enqueue.emit(
        send(
          context,
          context.peerId,
          "copyMessage",
          { from_chat_id: context.groupId, message_id: event.messageId },
          { reportFailure: true }
        )
      )
      enqueue.emit({
        type: "dialog.teamAnswered",
        ...refOf(context),
        messageId: event.messageId,
        by: event.from!.id
      })
      enqueue.assign({ settings: event.settings, blocked: false })
    }),
    postCard: enqueueActions(({ context, enqueue }) =>
      enqueue.emit(
        send(context, context.groupId!, "sendMessage", {
          message_thread_id: context.threadId,
          text: cardOf(context)
        })
      )
    ),
    noteBlocked: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ blocked: true })
      enqueue.emit({ type: "dialog.clientBlocked", ...refOf(context) })
      enqueue.emit(
        send(context, context.groupId!, "sendMessage", {
          message_thread_id: context.threadId,
          text: "⚠️ The client has blocked the bot: the last answer was not delivered."
        })
      )
    })
  }
}).createMachine({
  id: "dialog",
  context: ({ input }) => ({
    ...parseKey(input.key),
    groupId: null,
    threadId: null,
    client: null,
    startParam: null,
    waiting: [],
    status: "new",
    settings: null,
    blocked: false,
    topics: 0
  }),
  initial: "new",
  states: {
    new: {
      on: {
        "message.received": [
          {
            guard: "clientStart",
            actions: enqueueActions(({ event, enqueue }) => {
              if (event.type !== "message.received") return
              enqueue.assign({ client: event.from ?? null, startParam: startParamOf(event) ?? null })
            })
          },
          { guard: "fromClient", target: "opening", actions: "open" }
        ]
      }
    },
    opening: {
      on: {
        "message.received": { guard: "fromClient", actions: "queue" },
        "dialog.topicCreated": { target: "open", actions: "topicReady" },
        // The topic could not be created: the next client message asks again.
        "delivery.failed": {
          guard: ({ event }) => event.method === "createForumTopic",
          target: "new",
          actions: enqueueActions(({ enqueue }) => enqueue.assign({ status: "new", waiting: [] }))
        }
      }
    },
    open: {
      initial: "awaitingTeam",
      states: {
        awaitingTeam: {},
        answered: { on: { "dialog.autoClose": { target: "#dialog.closed", actions: "close" } } },
        onHold: {}
      },
      on: {
        "message.received": [
          { guard: "fromClient", target: ".awaitingTeam", actions: "relayToTopic" },
          { guard: "close", target: "closed", actions: "close" },
          { guard: "hold", target: ".onHold", actions: "hold" },
          { guard: "wait", target: ".answered", actions: "markAnswered" },
          { guard: "info", actions: "postCard" },
          { guard: "answer", target: ".answered", actions: ["relayToClient", "markAnswered"] }
        ]
      }
    },
    closed: {
      on: {
        "message.received": [
          { guard: "fromClient", target: "open.awaitingTeam", actions: "relayToTopic" },
          { guard: "info", actions: "postCard" },
          { guard: "answer", actions: "relayToClient" }
        ]
      }
    }
  },
  on: {
    "delivery.failed": [
      { guard: "topicGone", target: ".opening", actions: "reopenTopic" },
      { guard: "blocked", actions: "noteBlocked" }
    ]
  }
})
