import type { ForumTopic } from "grammy/types"
import { badRequest } from "./BotApiError.ts"
import type { ChatRecord, TopicRecord } from "./Model.ts"
import type { World } from "./World.ts"

/** The colours Telegram allows for topic icons. */
export const topicColors = [0x6fb9f0, 0xffd67e, 0xcb86db, 0x8eee98, 0xff93b2, 0xfb6f5f] as const

export const toForumTopic = (topic: TopicRecord): ForumTopic => ({
  message_thread_id: topic.threadId,
  name: topic.name,
  icon_color: topic.iconColor,
  ...(topic.iconCustomEmojiId !== undefined ? { icon_custom_emoji_id: topic.iconCustomEmojiId } : {})
})

const checkForum = (chat: ChatRecord): void => {
  if (!chat.isForum) throw badRequest("the chat is not a forum")
}

/** A live topic of the chat, or "message thread not found" as Telegram answers for a deleted one. */
export const liveTopic = (chat: ChatRecord, threadId: number): TopicRecord => {
  checkForum(chat)
  const topic = chat.topics.get(threadId)
  if (topic === undefined || topic.deleted) throw badRequest("message thread not found")
  return topic
}

const checkManage = (
  world: World,
  chat: ChatRecord,
  actor: number,
  topic: TopicRecord,
  action: string
): void => {
  if (topic.creator !== actor && !world.can(chat, actor, "can_manage_topics")) {
    throw badRequest(`not enough rights to ${action} the topic`)
  }
}

/** Creates a topic: its id is the id of its `forum_topic_created` service message. */
export const createTopic = (
  world: World,
  chat: ChatRecord,
  actor: number,
  name: string,
  iconColor?: number,
  iconCustomEmojiId?: string
): TopicRecord => {
  checkForum(chat)
  if (world.bots.has(actor) && !world.can(chat, actor, "can_manage_topics")) {
    throw badRequest("not enough rights to create a topic")
  }
  if (name.trim().length === 0 || name.length > 128) throw badRequest("TOPIC_NAME_INVALID")
  const color = iconColor ?? topicColors[chat.topics.size % topicColors.length]!
  if (!(topicColors as ReadonlyArray<number>).includes(color)) throw badRequest("TOPIC_ICON_COLOR_INVALID")
  const threadId = chat.nextMessageId
  const topic: TopicRecord = {
    threadId,
    creator: actor,
    name,
    iconColor: color,
    ...(iconCustomEmojiId !== undefined ? { iconCustomEmojiId } : {}),
    closed: false,
    deleted: false
  }
  chat.topics.set(threadId, topic)
  const message = world.store(chat, {
    from: actor,
    threadId,
    service: {
      kind: "forum_topic_created",
      name,
      iconColor: color,
      ...(iconCustomEmojiId !== undefined ? { emoji: iconCustomEmojiId } : {})
    }
  })
  world.deliver(chat, message, "message")
  return topic
}

export const editTopic = (
  world: World,
  chat: ChatRecord,
  actor: number,
  threadId: number,
  name: string | undefined,
  iconCustomEmojiId: string | undefined
): void => {
  const topic = liveTopic(chat, threadId)
  checkManage(world, chat, actor, topic, "edit")
  if (name !== undefined && (name.trim().length === 0 || name.length > 128))
    throw badRequest("TOPIC_NAME_INVALID")
  const newName = name !== undefined && name !== topic.name ? name : undefined
  const newEmoji =
    iconCustomEmojiId !== undefined && iconCustomEmojiId !== (topic.iconCustomEmojiId ?? "")
      ? iconCustomEmojiId
      : undefined
  if (newName === undefined && newEmoji === undefined) throw badRequest("TOPIC_NOT_MODIFIED")
  if (newName !== undefined) topic.name = newName
  if (newEmoji !== undefined) {
    if (newEmoji === "") delete topic.iconCustomEmojiId
    else topic.iconCustomEmojiId = newEmoji
  }
  const message = world.store(chat, {
    from: actor,
    threadId,
    service: {
      kind: "forum_topic_edited",
      ...(newName !== undefined ? { name: newName } : {}),
      ...(newEmoji !== undefined ? { emoji: newEmoji } : {})
    }
  })
  world.deliver(chat, message, "message")
}

export const setTopicClosed = (
  world: World,
  chat: ChatRecord,
  actor: number,
  threadId: number,
  closed: boolean
): void => {
  const topic = liveTopic(chat, threadId)
  checkManage(world, chat, actor, topic, closed ? "close" : "reopen")
  if (topic.closed === closed) throw badRequest("TOPIC_NOT_MODIFIED")
  topic.closed = closed
  const message = world.store(chat, {
    from: actor,
    threadId,
    service: closed ? { kind: "forum_topic_closed" } : { kind: "forum_topic_reopened" }
  })
  world.deliver(chat, message, "message")
}

/** Deletes a topic with all its messages. Telegram sends bots no update for this. */
export const deleteTopic = (world: World, chat: ChatRecord, actor: number, threadId: number): void => {
  const topic = liveTopic(chat, threadId)
  if (topic.creator !== actor && !world.can(chat, actor, "can_delete_messages")) {
    throw badRequest("not enough rights to delete the topic")
  }
  topic.deleted = true
  for (const message of chat.messages.values()) if (message.threadId === threadId) message.deleted = true
  for (const id of [...chat.pinned])
    if (chat.messages.get(id)?.deleted === true) chat.pinned.splice(chat.pinned.indexOf(id), 1)
}

/** Topics that exist, in creation order. */
export const listTopics = (chat: ChatRecord): Array<TopicRecord> =>
  [...chat.topics.values()].filter((topic) => !topic.deleted)
