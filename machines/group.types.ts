import type {
  CallbackPressed,
  MemberChanged,
  MemberStatus,
  MessageEdited,
  MessageReceived,
  TopicClosed,
  TopicCreated,
  TopicEdited,
  TopicReopened
} from "../src/domain/Events.ts"
import type { Author, ButtonFields, CommandFields, PostedFields } from "./group.messages.ts"

/**
 * What a topic is for: decides which plugins act in it. `general` is General (thread 1); `dialog`
 * a client conversation; the workspace kinds (`announcements`, `team`, `instructions`,
 * `knowledge-base`, `notifications`, `tasks`) are the team's own topics; `unknown` any other.
 */
export type TopicKind =
  | "dialog"
  | "announcements"
  | "general"
  | "team"
  | "instructions"
  | "knowledge-base"
  | "notifications"
  | "tasks"
  | "unknown"

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
  | TopicCreated
  | TopicEdited
  | TopicClosed
  | TopicReopened
  | MemberChanged
  | MessageReceived
  | MessageEdited
  | CallbackPressed
  | SetTopicKind

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
  /** A member's status changed (every change; `self` when the member is the bot it came through). */
  | {
      readonly type: "group.memberChanged"
      readonly connection: string
      readonly chatId: number
      readonly member: Author
      readonly oldStatus: MemberStatus
      readonly newStatus: MemberStatus
      readonly self: boolean
    }
  /** Someone wrote in the group (every message, commands included). */
  | ({ readonly type: "group.messagePosted" } & PostedFields)
  /** Someone edited a message in the group. */
  | ({ readonly type: "group.messageEdited" } & PostedFields)
  /** A message started with a command (`/name args`); emitted after its `group.messagePosted`. */
  | ({ readonly type: "group.commandIssued" } & PostedFields & CommandFields)
  /** Someone pressed an inline button under a message in the group. */
  | ({ readonly type: "group.buttonPressed" } & ButtonFields)
