import type { OutboxSend } from "../src/domain/Reserved.ts"
import type {
  CreateTopic,
  GroupContext,
  GroupDeliveryFailed,
  GroupEmitted,
  PendingTopic,
  TopicEntry,
  TopicMade
} from "./group.types.ts"

/** The `replyAs` of the `createForumTopic` calls whose answer the group actor registers. */
export const topicMadeReply = "group.topicMade"

/** Whether the group creates the topic `event` asks for: not while one of that name (or, with a kind, of that kind) exists or is being made. */
export const createsTopic = (context: GroupContext, event: CreateTopic) => {
  if (context.pending[event.name] !== undefined) return false
  const kind = event.kind ?? "unknown"
  if (kind === "unknown") return true
  return (
    !Object.values(context.pending).some((pending) => pending.kind === kind) &&
    !Object.values(context.topics).some((topic) => topic.kind === kind)
  )
}

/** The context once the group asked for the topic of `event`: pending by its name. */
export const askedTopic = (context: GroupContext, event: CreateTopic) => ({
  pending: {
    ...context.pending,
    [event.name]: { kind: event.kind ?? "unknown", connection: event.connection } satisfies PendingTopic
  }
})

/** The `createForumTopic` call for a `group.createTopic`; its answer is mailed back as `group.topicMade`. */
export const createCall = (context: GroupContext, event: CreateTopic): OutboxSend => ({
  type: "outbox.send",
  connection: event.connection,
  chatId: context.chatId,
  method: "createForumTopic",
  params: {
    name: event.name,
    ...(event.iconColor !== undefined ? { icon_color: event.iconColor } : {}),
    ...(event.iconCustomEmojiId !== undefined ? { icon_custom_emoji_id: event.iconCustomEmojiId } : {})
  },
  replyAs: topicMadeReply,
  reportFailure: true
})

const without = (context: GroupContext, name: string) => {
  const { [name]: _done, ...pending } = context.pending
  return pending
}

/**
 * What Telegram's answer `event` does: the topic registered (unless the group saw it created),
 * with the kind it was asked for, and no longer pending.
 */
export const madeTopic = (context: GroupContext, event: TopicMade) => {
  const threadId = event.result.message_thread_id
  const name = event.result.name
  const asked = context.pending[name]
  const known = context.topics[String(threadId)]
  const kind = asked !== undefined && asked.kind !== "unknown" ? asked.kind : (known?.kind ?? "unknown")
  const topic: TopicEntry = { threadId, name: known?.name ?? name, kind, closed: known?.closed ?? false }
  const emitted: Array<GroupEmitted> = []
  if (known?.name === undefined || known.name === null)
    emitted.push({ type: "group.topicRegistered", chatId: context.chatId, threadId, name: topic.name, kind })
  if (asked !== undefined && asked.kind !== "unknown" && known?.kind !== asked.kind)
    emitted.push({ type: "group.topicKindSet", chatId: context.chatId, threadId, kind: asked.kind })
  return {
    context: { topics: { ...context.topics, [String(threadId)]: topic }, pending: without(context, name) },
    emitted
  }
}

/** The name of the pending topic a refused `createForumTopic` was for, if it was one the group asked for. */
export const refusedName = (context: GroupContext, event: GroupDeliveryFailed) => {
  const name = event.params?.["name"]
  return event.method === "createForumTopic" &&
    typeof name === "string" &&
    context.pending[name] !== undefined
    ? name
    : undefined
}

/** The context once Telegram refused the topic `name`: no longer pending. */
export const refusedTopic = (context: GroupContext, name: string) => ({ pending: without(context, name) })
