import { assign, emit, enqueueActions, setup } from "xstate"
import { authorOf, buttonFields, commandOf, GENERAL, postedFields } from "./group.messages.ts"
import type { AdminEntry, GroupContext, GroupEmitted, GroupEvent, TopicEntry } from "./group.types.ts"
import {
  askedTopic,
  createCall,
  createsTopic,
  madeTopic,
  refusedName,
  refusedTopic
} from "./group.workspace.ts"

export type { Author, ButtonFields, CommandFields, PostedFields } from "./group.messages.ts"
export type {
  AdminEntry,
  CreateTopic,
  GroupContext,
  GroupEmitted,
  GroupEvent,
  PendingTopic,
  SetTopicKind,
  TopicEntry,
  TopicKind
} from "./group.types.ts"

const isAdmin = (status: string): status is AdminEntry["status"] =>
  status === "creator" || status === "administrator"

const topicOf = (context: GroupContext, threadId: number): TopicEntry | undefined =>
  context.topics[String(threadId)]

const withTopic = (context: GroupContext, topic: TopicEntry) => ({
  topics: { ...context.topics, [String(topic.threadId)]: topic }
})

const types = {} as {
  context: GroupContext
  events: GroupEvent
  emitted: GroupEmitted
  input: { readonly key: string }
}

/** The chat id in a `group:<chatId>` key. */
const chatIdOf = (key: string) => Number(key.slice(key.indexOf(":") + 1))

/**
 * One backend (or client) group: its topic registry and admin cache. It tells plugins about every
 * message (`group.messagePosted`, `group.messageEdited`, `group.commandIssued`) with the topic's
 * kind and whether the author is a known admin. Pure: it emits facts and never calls Telegram.
 */
export const groupMachine = setup({
  types,
  guards: {
    adminsChange: ({ context, event }) => {
      if (event.type !== "member.changed" || event.self) return false
      const known = context.admins[String(event.member.id)]
      return isAdmin(event.newStatus) ? known?.status !== event.newStatus : known !== undefined
    },
    topicKnown: ({ context, event }) =>
      "threadId" in event && event.threadId !== undefined && topicOf(context, event.threadId) !== undefined
  }
}).createMachine({
  id: "group",
  context: ({ input }) => ({
    chatId: chatIdOf(input.key),
    topics: {},
    admins: {},
    adminsLearnedAt: null,
    pending: {}
  }),
  initial: "tracking",
  states: {
    tracking: {
      on: {
        "topic.created": {
          // Telegram's service message for a topic the group registered from the creation's answer.
          guard: ({ context, event }) => topicOf(context, event.threadId)?.name !== event.name,
          actions: [
            assign(({ context, event }) =>
              withTopic(context, {
                threadId: event.threadId,
                name: event.name,
                kind:
                  topicOf(context, event.threadId)?.kind ??
                  (event.threadId === GENERAL ? "general" : "unknown"),
                closed: false
              })
            ),
            emit(({ context, event }) => ({
              type: "group.topicRegistered" as const,
              chatId: context.chatId,
              threadId: event.threadId,
              name: event.name,
              kind: topicOf(context, event.threadId)!.kind
            }))
          ]
        },
        "topic.edited": {
          guard: ({ event }) => event.name !== undefined,
          actions: [
            assign(({ context, event }) => {
              const known = topicOf(context, event.threadId)
              const base = known ?? { threadId: event.threadId, kind: "unknown" as const, closed: false }
              return withTopic(context, { ...base, name: event.name ?? null })
            }),
            emit(({ context, event }) => ({
              type: "group.topicRenamed" as const,
              chatId: context.chatId,
              threadId: event.threadId,
              name: event.name ?? ""
            }))
          ]
        },
        "topic.closed": {
          guard: "topicKnown",
          actions: [
            assign(({ context, event }) =>
              withTopic(context, { ...topicOf(context, event.threadId)!, closed: true })
            ),
            emit(({ context, event }) => ({
              type: "group.topicClosed" as const,
              chatId: context.chatId,
              threadId: event.threadId
            }))
          ]
        },
        "topic.reopened": {
          guard: "topicKnown",
          actions: [
            assign(({ context, event }) =>
              withTopic(context, { ...topicOf(context, event.threadId)!, closed: false })
            ),
            emit(({ context, event }) => ({
              type: "group.topicReopened" as const,
              chatId: context.chatId,
              threadId: event.threadId
            }))
          ]
        },
        "group.setTopicKind": {
          actions: [
            assign(({ context, event }) => {
              const known = topicOf(context, event.threadId)
              const base = known ?? {
                threadId: event.threadId,
                name: event.threadId === GENERAL ? "General" : null,
                closed: false
              }
              return withTopic(context, { ...base, kind: event.kind })
            }),
            emit(({ context, event }) => ({
              type: "group.topicKindSet" as const,
              chatId: context.chatId,
              threadId: event.threadId,
              kind: event.kind
            }))
          ]
        },
        "group.createTopic": {
          guard: ({ context, event }) => createsTopic(context, event),
          actions: [
            assign(({ context, event }) => askedTopic(context, event)),
            emit(({ context, event }) => createCall(context, event))
          ]
        },
        "group.topicMade": {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const made = madeTopic(context, event)
            enqueue.assign(made.context)
            for (const fact of made.emitted) enqueue.emit(fact)
          })
        },
        "delivery.failed": {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const name = refusedName(context, event)
            if (name === undefined) return
            enqueue.assign(refusedTopic(context, name))
            enqueue.emit({
              type: "group.topicCreationFailed",
              chatId: context.chatId,
              kind: context.pending[name]?.kind ?? "unknown",
              name,
              description: event.description
            })
          })
        },
        "message.received": {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const fields = postedFields(context, event)
            enqueue.emit({ type: "group.messagePosted", ...fields })
            const command = commandOf(fields.text)
            if (command !== undefined) enqueue.emit({ type: "group.commandIssued", ...fields, ...command })
          })
        },
        "message.edited": {
          actions: emit(({ context, event }) => ({
            type: "group.messageEdited" as const,
            ...postedFields(context, event)
          }))
        },
        "callback.pressed": {
          // A press under an inline-mode message is in no chat, and not the group's.
          guard: ({ event }) => event.chat !== undefined,
          actions: emit(({ context, event }) => ({
            type: "group.buttonPressed" as const,
            ...buttonFields(context, event)
          }))
        },
        "member.changed": {
          actions: enqueueActions(({ context, event, enqueue, check }) => {
            enqueue.emit({
              type: "group.memberChanged",
              connection: event.connection,
              chatId: context.chatId,
              member: authorOf(event.member),
              oldStatus: event.oldStatus,
              newStatus: event.newStatus,
              self: event.self
            })
            if (!check("adminsChange")) return
            const learnedAt = event.change.date * 1000
            const admins = { ...context.admins }
            if (isAdmin(event.newStatus))
              admins[String(event.member.id)] = {
                userId: event.member.id,
                status: event.newStatus,
                learnedAt
              }
            else delete admins[String(event.member.id)]
            enqueue.assign({ admins, adminsLearnedAt: learnedAt })
            enqueue.emit({
              type: "group.adminsChanged",
              chatId: context.chatId,
              admins: Object.values(admins).map((admin) => admin.userId),
              learnedAt
            })
          })
        }
      }
    }
  }
})
