import { assign, emit, enqueueActions, setup } from "xstate"
import type { MessageReceived, TelegramUser } from "../src/domain/Events.ts"
import type { OutboxSend, TopicClaim } from "../src/domain/Reserved.ts"

/** Where a dialog stands: who wrote last, or (before its topic exists) whether it is being opened. */
export type DialogStatus = "new" | "opening" | "awaitingTeam" | "answered"

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
}

/** A client's message, as the Router delivers it: with the connection's backend group. */
export type ClientWrote = MessageReceived & { readonly backendGroup: number }

/** The created topic, mailed back for the `createForumTopic` call (`replyAs`). */
export interface TopicOpened {
  readonly type: "dialog.topicCreated"
  readonly result: { readonly message_thread_id: number; readonly name: string }
}

export interface DialogDeliveryFailed {
  readonly type: "delivery.failed"
  readonly method: string
  readonly code: number
  readonly description: string
}

export type DialogEvent = ClientWrote | MessageReceived | TopicOpened | DialogDeliveryFailed

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
  | OutboxSend
  | TopicClaim

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

const fromClient = (context: DialogContext, event: DialogEvent): event is ClientWrote =>
  event.type === "message.received" && event.chat.type === "private" && event.chat.id === context.peerId

const textOf = (event: MessageReceived) => event.message.text ?? event.message.caption ?? ""

/** An operator's message in the topic that goes to the client (not a command, comment or bot). */
const guardTeam = (context: DialogContext, event: DialogEvent) =>
  event.type === "message.received" &&
  event.chat.id === context.groupId &&
  event.from?.is_bot === false &&
  !textOf(event).startsWith("/")

/** `/start` alone opens nothing; `/start <param>` records the parameter (and opens nothing either). */
const startParamOf = (event: ClientWrote): string | null | undefined => {
  const match = /^\/start(?:@\w+)?(?:\s+(\S+))?\s*$/.exec(textOf(event))
  return match === null ? undefined : (match[1] ?? null)
}

const titleOf = (client: TelegramUser | null, peerId: number) =>
  (client === null
    ? `Client ${peerId}`
    : [client.first_name, client.last_name].filter(Boolean).join(" ")
  ).slice(0, 128)

const cardOf = (context: DialogContext) => {
  const client = context.client
  const lines = [
    `👤 ${titleOf(client, context.peerId)}`,
    client?.username === undefined ? null : `@${client.username}`,
    `id ${context.peerId}`,
    client?.language_code === undefined ? null : `language ${client.language_code}`,
    client?.is_premium === true ? "Telegram Premium" : null,
    context.startParam === null ? null : `/start ${context.startParam}`,
    `via ${context.connection}`
  ]
  return lines.filter((line) => line !== null).join("\n")
}

const refOf = (context: DialogContext): DialogRef => ({
  connection: context.connection,
  peerId: context.peerId,
  chatId: context.groupId!,
  threadId: context.threadId!
})

const send = (
  context: DialogContext,
  chatId: number,
  method: string,
  params: Record<string, unknown>
): OutboxSend => ({ type: "outbox.send", connection: context.connection, chatId, method, params })

/** Copies a client message into the dialog's topic. */
const toTopic = (context: DialogContext, messageId: number) =>
  send(context, context.groupId!, "copyMessage", {
    from_chat_id: context.peerId,
    message_id: messageId,
    message_thread_id: context.threadId
  })

/**
 * One client conversation ↔ one topic in the backend group. The client's first real message asks
 * for the topic (`createForumTopic`, its result mailed back as `dialog.topicCreated`); messages
 * wait until it exists, then go in order behind the client card. Operators' messages in the topic
 * go to the client, except commands, internal comments (`/ …`) and bots' messages.
 */
export const dialogMachine = setup({
  types,
  guards: {
    clientStart: ({ context, event }) => fromClient(context, event) && startParamOf(event) !== undefined,
    fromClient: ({ context, event }) => fromClient(context, event)
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
    status: "new"
  }),
  initial: "new",
  states: {
    new: {
      on: {
        "message.received": [
          {
            guard: "clientStart",
            actions: assign(({ event }) => ({
              client: event.from ?? null,
              startParam: startParamOf(event as ClientWrote) ?? null
            }))
          },
          {
            guard: "fromClient",
            target: "opening",
            actions: enqueueActions(({ context, event, enqueue }) => {
              const wrote = event as ClientWrote
              const client = wrote.from ?? context.client
              enqueue.assign({
                groupId: wrote.backendGroup,
                client,
                waiting: [wrote.messageId],
                status: "opening"
              })
              enqueue.emit({
                ...send(context, wrote.backendGroup, "createForumTopic", {
                  name: titleOf(client, context.peerId)
                }),
                replyAs: "dialog.topicCreated"
              })
            })
          }
        ]
      }
    },
    opening: {
      on: {
        "message.received": {
          guard: "fromClient",
          actions: assign({ waiting: ({ context, event }) => [...context.waiting, event.messageId] })
        },
        "dialog.topicCreated": {
          target: "awaitingTeam",
          actions: enqueueActions(({ context, event, enqueue }) => {
            const open = { ...context, threadId: event.result.message_thread_id, waiting: [] }
            enqueue.assign({ threadId: open.threadId, waiting: [], status: "awaitingTeam" })
            enqueue.emit({ type: "topic.claim", chatId: open.groupId!, threadId: open.threadId })
            enqueue.emit({ type: "dialog.opened", ...refOf(open), client: open.client })
            enqueue.emit(
              send(open, open.groupId!, "sendMessage", {
                message_thread_id: open.threadId,
                text: cardOf(open)
              })
            )
            for (const messageId of context.waiting) {
              enqueue.emit(toTopic(open, messageId))
              enqueue.emit({ type: "dialog.clientWrote", ...refOf(open), messageId })
            }
          })
        },
        // The topic could not be created: the next client message asks again.
        "delivery.failed": { target: "new", actions: assign({ status: "new" as const, waiting: [] }) }
      }
    },
    awaitingTeam: {},
    answered: {}
  },
  on: {
    "message.received": [
      {
        guard: ({ context, event }) => context.threadId !== null && fromClient(context, event),
        target: ".awaitingTeam",
        actions: [
          assign({ status: "awaitingTeam" as const }),
          emit(({ context, event }) => toTopic(context, event.messageId)),
          emit(({ context, event }) => ({
            type: "dialog.clientWrote" as const,
            ...refOf(context),
            messageId: event.messageId
          }))
        ]
      },
      {
        guard: ({ context, event }) => context.threadId !== null && guardTeam(context, event),
        target: ".answered",
        actions: [
          assign({ status: "answered" as const }),
          emit(({ context, event }) =>
            send(context, context.peerId, "copyMessage", {
              from_chat_id: context.groupId,
              message_id: event.messageId
            })
          ),
          emit(({ context, event }) => ({
            type: "dialog.teamAnswered" as const,
            ...refOf(context),
            messageId: event.messageId,
            by: event.type === "message.received" ? (event.from?.id ?? 0) : 0
          }))
        ]
      }
    ]
  }
})
