import type { ChatPermissions } from "grammy/types"
import { badRequest, forbidden } from "./BotApiError.ts"
import { isPresent, type ChatRecord, type StoredMessage } from "./Model.ts"
import type { World } from "./World.ts"

export type Content = Omit<
  StoredMessage,
  "id" | "chatKey" | "date" | "deleted" | "reactions" | "from" | "threadId" | "replyTo"
>

export interface Placement {
  readonly threadId?: number | undefined
  readonly replyTo?: number | undefined
  readonly allowWithoutReply?: boolean | undefined
}

export const maxTextLength = 4096
export const maxCaptionLength = 1024

const chatNoun = (chat: ChatRecord): string => (chat.type === "private" ? "private" : chat.type)

/** Telegram's refusals for an actor that may not post here at all. */
export const checkCanSend = (
  world: World,
  chat: ChatRecord,
  actor: number,
  right?: keyof ChatPermissions
): void => {
  const bot = world.bots.get(actor)
  if (chat.type === "private") {
    if (bot === undefined) return
    const userId = chat.peers!.user
    if (bot.blockedBy.has(userId)) throw forbidden("bot was blocked by the user")
    if (!bot.started.has(userId)) throw forbidden("bot can't initiate conversation with a user")
    return
  }
  const member = chat.members.get(actor)
  if (member?.status === "kicked") throw forbidden(`bot was kicked from the ${chatNoun(chat)} chat`)
  if (!isPresent(member)) {
    throw bot === undefined
      ? badRequest("not enough rights")
      : forbidden(`bot is not a member of the ${chatNoun(chat)} chat`)
  }
  if (chat.type === "channel" && !world.can(chat, actor, "can_post_messages")) {
    throw badRequest("need administrator rights in the channel chat")
  }
  if (member?.status === "restricted") {
    throw badRequest(
      `not enough rights to send ${right === undefined ? "text messages" : right.replace("can_send_", "")} to the chat`
    )
  }
}

/** The topic and reply a new message goes to, with Telegram's errors for deleted topics and missing replies. */
export const place = (
  world: World,
  chat: ChatRecord,
  actor: number,
  placement: Placement
): { threadId?: number; replyTo?: number } => {
  const replied = placement.replyTo === undefined ? undefined : world.message(chat, placement.replyTo)
  if (placement.replyTo !== undefined && replied === undefined && placement.allowWithoutReply !== true) {
    throw badRequest("message to be replied not found")
  }
  let threadId = chat.isForum ? (placement.threadId ?? replied?.threadId) : undefined
  if (threadId === 1) threadId = undefined
  if (threadId !== undefined) {
    const topic = chat.topics.get(threadId)
    if (topic === undefined || topic.deleted) throw badRequest("message thread not found")
    if (topic.closed && !world.can(chat, actor, "can_manage_topics")) throw badRequest("TOPIC_CLOSED")
  }
  return {
    ...(threadId !== undefined ? { threadId } : {}),
    ...(replied !== undefined ? { replyTo: replied.id } : {})
  }
}

export const checkLengths = (content: Content): void => {
  if (content.text !== undefined) {
    if (content.text.trim().length === 0) throw badRequest("message text is empty")
    if (content.text.length > maxTextLength) throw badRequest("message is too long")
  }
  if (content.caption !== undefined && content.caption.length > maxCaptionLength) {
    throw badRequest("message caption is too long")
  }
}

/** Stores a message from `actor` and delivers it; the caller has checked the actor may post. */
export const post = (
  world: World,
  chat: ChatRecord,
  actor: number | undefined,
  content: Content,
  placement: Placement = {}
): StoredMessage => {
  checkLengths(content)
  const where = actor === undefined ? {} : place(world, chat, actor, placement)
  const message = world.store(chat, {
    ...(actor !== undefined && chat.type !== "channel" ? { from: actor } : {}),
    ...where,
    ...content
  })
  world.deliver(chat, message, "message")
  return message
}

const normal = (value: unknown): unknown =>
  Array.isArray(value) && value.length === 0 ? null : (value ?? null)
const same = (a: unknown, b: unknown): boolean => JSON.stringify(normal(a)) === JSON.stringify(normal(b))

/** Edits text, caption or buttons with Telegram's checks; delivers `edited_message` when content changed. */
export const edit = (
  world: World,
  chat: ChatRecord,
  actor: number,
  messageId: number,
  patch: Pick<Content, "text" | "entities" | "caption" | "captionEntities" | "replyMarkup">,
  keepMarkup = false
): StoredMessage => {
  const message = world.message(chat, messageId)
  if (message === undefined) throw badRequest("message to edit not found")
  const ownPost = chat.type === "channel" && world.can(chat, actor, "can_edit_messages")
  if (message.from !== actor && !ownPost) throw badRequest("message can't be edited")
  if (message.service !== undefined) throw badRequest("message can't be edited")
  if (patch.text !== undefined && message.text === undefined)
    throw badRequest("there is no text in the message to edit")
  if (patch.caption !== undefined && message.media === undefined)
    throw badRequest("there is no caption in the message to edit")
  checkLengths(patch)
  const markup = keepMarkup ? message.replyMarkup : patch.replyMarkup
  const textChanged =
    (patch.text !== undefined && (patch.text !== message.text || !same(patch.entities, message.entities))) ||
    (patch.caption !== undefined &&
      (patch.caption !== message.caption || !same(patch.captionEntities, message.captionEntities)))
  if (!textChanged && same(markup, message.replyMarkup)) {
    throw badRequest(
      "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"
    )
  }
  if (patch.text !== undefined) {
    message.text = patch.text
    if (patch.entities !== undefined && patch.entities.length > 0) message.entities = patch.entities
    else delete message.entities
  }
  if (patch.caption !== undefined) {
    message.caption = patch.caption
    if (patch.captionEntities !== undefined && patch.captionEntities.length > 0)
      message.captionEntities = patch.captionEntities
    else delete message.captionEntities
  }
  if (markup === undefined) delete message.replyMarkup
  else message.replyMarkup = markup
  if (textChanged) {
    message.editDate = world.now()
    world.deliver(chat, message, "edited_message")
  }
  return message
}

/** Deletes a message: a bot may delete its own, any in a private chat, others' with `can_delete_messages`. */
export const remove = (world: World, chat: ChatRecord, actor: number, messageId: number): void => {
  const message = world.message(chat, messageId)
  if (message === undefined) throw badRequest("message to delete not found")
  const allowed =
    chat.type === "private" || message.from === actor || world.can(chat, actor, "can_delete_messages")
  if (!allowed || message.service?.kind === "forum_topic_created")
    throw badRequest("message can't be deleted")
  message.deleted = true
  const pinned = chat.pinned.indexOf(messageId)
  if (pinned !== -1) chat.pinned.splice(pinned, 1)
}
