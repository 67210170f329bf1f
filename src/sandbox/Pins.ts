import { badRequest } from "./BotApiError.ts"
import type { ChatRecord } from "./Model.ts"
import type { World } from "./World.ts"

/** Pins a message and posts the `pinned_message` service message. */
export const pin = (world: World, chat: ChatRecord, actor: number, messageId: number): void => {
  const message = world.message(chat, messageId)
  if (message === undefined) throw badRequest("message to pin not found")
  if (!world.can(chat, actor, "can_pin_messages"))
    throw badRequest("not enough rights to manage pinned messages in the chat")
  const index = chat.pinned.indexOf(messageId)
  if (index !== -1) chat.pinned.splice(index, 1)
  chat.pinned.push(messageId)
  const service = world.store(chat, {
    from: actor,
    ...(message.threadId !== undefined ? { threadId: message.threadId } : {}),
    service: { kind: "pinned_message", messageId }
  })
  world.deliver(chat, service, "message")
}

export const unpin = (world: World, chat: ChatRecord, actor: number, messageId: number | undefined): void => {
  if (!world.can(chat, actor, "can_pin_messages"))
    throw badRequest("not enough rights to manage pinned messages in the chat")
  const id = messageId ?? chat.pinned.at(-1)
  const index = id === undefined ? -1 : chat.pinned.indexOf(id)
  if (index === -1) throw badRequest("message to unpin not found")
  chat.pinned.splice(index, 1)
}
