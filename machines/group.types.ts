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
import type { OutboxSend } from "../src/domain/Reserved.ts"
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
  /** Topics asked of Telegram (`group.createTopic`) and not yet created, by name. */
  readonly pending: Readonly<Record<string, PendingTopic>>
}

/** A topic the group actor asked Telegram to create, waiting for Telegram's answer. */
export interface PendingTopic {
  /** The kind it gets once made; `unknown` when none was asked for. */
  readonly kind: TopicKind
  /** The connection (bot) that asked. */
  readonly connection: string
}

/**
 * Command: create a topic named `name` through `connection`, unless the group is creating one of
 * that name already; with a `kind`, also unless the group has a topic of that kind. Telegram sends
 * no update for a bot's own topic: the group registers it from Telegram's answer
 * (`group.topicRegistered`, then `group.topicKindSet` for a kind). The request is kept in the
 * snapshot, so an answer after a restart still lands.
 */
export interface CreateTopic {
  readonly type: "group.createTopic"
  readonly connection: string
  readonly name: string
  /** The kind the topic gets; none (`unknown`) by default. */
  readonly kind?: TopicKind
  /** One of the colours Telegram allows for topic icons. */
  readonly iconColor?: number
  readonly iconCustomEmojiId?: string
}

/**
 * Telegram's answer to a `createForumTopic` Backline made in this group (mailed back, `replyAs`):
 * the group's own, or another part's (the HTTP API's). A topic the group does not know yet is
 * registered; a pending one of that name gets its kind.
 */
export interface TopicMade {
  readonly type: "group.topicMade"
  readonly result: { readonly message_thread_id: number; readonly name: string }
}

/** A call of the group actor that Telegram refused (mailed back). */
export interface GroupDeliveryFailed {
  readonly type: "delivery.failed"
  readonly method: string
  readonly code: number
  readonly description: string
  readonly params?: Readonly<Record<string, unknown>>
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
  | CreateTopic
  | TopicMade
  | GroupDeliveryFailed

/** Facts the group actor emits (journalled for plugins), and its Bot API calls (`outbox.send`). */
export type GroupEmitted =
  | OutboxSend
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
  /** Telegram refused to create a topic the group asked for (`group.createTopic`). */
  | {
      readonly type: "group.topicCreationFailed"
      readonly chatId: number
      readonly kind: TopicKind
      readonly name: string
      readonly description: string
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
