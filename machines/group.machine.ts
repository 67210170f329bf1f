import { assign, emit, setup } from "xstate"
import type {
  MemberChanged,
  TopicClosed,
  TopicCreated,
  TopicEdited,
  TopicReopened
} from "../src/domain/Events.ts"

/** What a topic is for: decides which plugins act in it. */
export type TopicKind = "dialog" | "announcements" | "general" | "team" | "notifications" | "unknown"

/** One forum topic as the group actor knows it. */
export interface TopicEntry {
  readonly threadId: number
  /** `null` for a topic that was given a kind before Backline saw it created. */
  readonly name: string | null
  readonly kind: TopicKind
  readonly closed: boolean
}

/** One chat admin, with when Backline learned it (ms since epoch, from Telegram's `date`). */
export interface AdminEntry {
  readonly userId: number
  readonly status: "creator" | "administrator"
  readonly learnedAt: number
}

export interface GroupContext {
  readonly chatId: number
  /** By thread id (as a string: snapshots are JSON). */
  readonly topics: Readonly<Record<string, TopicEntry>>
  readonly admins: Readonly<Record<string, AdminEntry>>
  /** When the admin cache last changed (ms since epoch); `null` before any `member.changed`. */
  readonly adminsLearnedAt: number | null
}

/** Command: give a topic its kind (registers the topic if the group has not seen it created). */
export interface SetTopicKind {
  readonly type: "group.setTopicKind"
  readonly threadId: number
  readonly kind: TopicKind
}

export type GroupEvent =
  TopicCreated | TopicEdited | TopicClosed | TopicReopened | MemberChanged | SetTopicKind

/** Facts the group actor emits (journalled for plugins). */
export type GroupEmitted =
  | {
      readonly type: "group.topicRegistered"
      readonly chatId: number
      readonly threadId: number
      readonly name: string | null
      readonly kind: TopicKind
    }
  | {
      readonly type: "group.topicRenamed"
      readonly chatId: number
      readonly threadId: number
      readonly name: string
    }
  | {
      readonly type: "group.topicKindSet"
      readonly chatId: number
      readonly threadId: number
      readonly kind: TopicKind
    }
  | { readonly type: "group.topicClosed"; readonly chatId: number; readonly threadId: number }
  | { readonly type: "group.topicReopened"; readonly chatId: number; readonly threadId: number }
  | {
      readonly type: "group.adminsChanged"
      readonly chatId: number
      readonly admins: ReadonlyArray<number>
      readonly learnedAt: number
    }

const GENERAL = 1

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
 * One backend (or client) group: its topic registry and admin cache. Pure: it emits facts and
 * never calls Telegram.
 */
export const groupMachine = setup({
  types,
  guards: {
    adminsChange: ({ context, event }) => {
      if (event.type !== "member.changed" || event.self) return false
      const known = context.admins[String(event.member.id)]
      return isAdmin(event.newStatus) ? known?.status !== event.newStatus : known !== undefined
    },
    topicKnown: ({ context, event }) => "threadId" in event && topicOf(context, event.threadId) !== undefined
  }
}).createMachine({
  id: "group",
  context: ({ input }) => ({ chatId: chatIdOf(input.key), topics: {}, admins: {}, adminsLearnedAt: null }),
  initial: "tracking",
  states: {
    tracking: {
      on: {
        "topic.created": {
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
        "member.changed": {
          guard: "adminsChange",
          actions: [
            assign(({ context, event }) => {
              const learnedAt = event.change.date * 1000
              const admins = { ...context.admins }
              if (isAdmin(event.newStatus))
                admins[String(event.member.id)] = {
                  userId: event.member.id,
                  status: event.newStatus,
                  learnedAt
                }
              else delete admins[String(event.member.id)]
              return { admins, adminsLearnedAt: learnedAt }
            }),
            emit(({ context }) => ({
              type: "group.adminsChanged" as const,
              chatId: context.chatId,
              admins: Object.values(context.admins).map((admin) => admin.userId),
              learnedAt: context.adminsLearnedAt ?? 0
            }))
          ]
        }
      }
    }
  }
})
