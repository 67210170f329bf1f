import type { Message } from "grammy/types"
import {
  botRecord,
  checkNewBot,
  checkNewChat,
  checkNewUser,
  userRecord,
  type NewBot,
  type NewChat,
  type NewUser
} from "./Accounts.ts"
import { badRequest, forbidden } from "./BotApiError.ts"
import { deliver } from "./Delivery.ts"
import { FileStore } from "./Files.ts"
import { Inbox, type UpdateBody } from "./Inbox.ts"
import { can, changeMember, isAdmin, memberOf } from "./Membership.ts"
import {
  fullRightsIn,
  type AdminRights,
  type BotRecord,
  type CallbackRecord,
  type ChatRecord,
  type ChatType,
  type MemberRecord,
  type MemberStatus,
  type StoredMessage,
  type UserRecord
} from "./Model.ts"
import type { RenderSource } from "./RenderChat.ts"
import { renderMessage } from "./RenderMessage.ts"

/**
 * Everything the sandbox Telegram knows: accounts, chats, members, messages, files and each bot's
 * pending updates. Mutated synchronously; Bot API methods and the control API both act through it.
 */
export class World implements RenderSource {
  readonly users = new Map<number, UserRecord>()
  readonly bots = new Map<number, BotRecord>()
  readonly chats = new Map<number, ChatRecord>()
  readonly inboxes = new Map<number, Inbox>()
  readonly files = new FileStore()
  readonly callbacks = new Map<string, CallbackRecord>()
  /** The last chat action a bot showed in each chat, by chat key. */
  readonly chatActions = new Map<string, { action: string; botId: number; at: number }>()
  private readonly storedListeners = new Set<(chat: ChatRecord, message: StoredMessage) => void>()
  private readonly byKey = new Map<string, ChatRecord>()
  private readonly byToken = new Map<string, BotRecord>()
  private nextUserId = 1_000_001
  private nextBotId = 7_000_000_001
  private nextGroupId = 4_000_000_001
  private nextSupergroupId = 1_002_000_000_001
  private nextUpdateId = 100_000_001
  private nextMediaGroup = 13_000_000_000_000_001n

  constructor(readonly clock: () => number = Date.now) {}

  /** Unix time in seconds, as Telegram dates are. */
  now(): number {
    return Math.floor(this.clock() / 1000)
  }

  newMediaGroupId(): string {
    return String(this.nextMediaGroup++)
  }

  createUser(input: NewUser): UserRecord {
    checkNewUser(this, input)
    const user = userRecord(this.nextUserId++, input)
    this.users.set(user.id, user)
    return user
  }

  createBot(input: NewBot): BotRecord {
    checkNewBot(this, input)
    const bot = botRecord(this.nextBotId++, input)
    this.users.set(bot.user.id, bot.user)
    this.bots.set(bot.user.id, bot)
    this.byToken.set(bot.token, bot)
    this.inboxes.set(bot.user.id, new Inbox(this.nextUpdateId))
    this.nextUpdateId += 100_000_000
    return bot
  }

  createChat(input: NewChat): ChatRecord {
    const owner = checkNewChat(this, input)
    const id = input.type === "group" ? -this.nextGroupId++ : -this.nextSupergroupId++
    const chat = this.addChat(`c${id}`, id, input.type, input.title, input.is_forum === true)
    if (input.username !== undefined) chat.username = input.username
    chat.members.set(owner.id, { userId: owner.id, status: "creator" })
    for (const userId of input.members ?? [])
      this.setMember(chat, userId, "member", owner.id, undefined, true)
    for (const userId of input.admins ?? [])
      this.setMember(chat, userId, "administrator", owner.id, fullRightsIn(chat.type), true)
    return chat
  }

  private addChat(key: string, id: number, type: ChatType, title: string, isForum: boolean): ChatRecord {
    const chat: ChatRecord = {
      key,
      id,
      type,
      title,
      isForum,
      members: new Map(),
      topics: new Map(),
      messages: new Map(),
      pinned: [],
      // Message 1 of a group is the service message of its creation, which the sandbox does not keep.
      nextMessageId: type === "private" ? 1 : 2
    }
    this.byKey.set(key, chat)
    if (type !== "private") this.chats.set(id, chat)
    return chat
  }

  botByToken(token: string): BotRecord | undefined {
    return this.byToken.get(token)
  }

  user(id: number): UserRecord {
    const user = this.users.get(id)
    if (user === undefined) throw badRequest("user not found")
    return user
  }

  chatByKey(key: string): ChatRecord {
    return this.byKey.get(key)!
  }

  /** The private chat of a person and a bot, created on first use. */
  privateChat(userId: number, botId: number): ChatRecord {
    const key = `p${userId}:${botId}`
    const existing = this.byKey.get(key)
    if (existing !== undefined) return existing
    const user = this.user(userId)
    const chat = this.addChat(key, userId, "private", user.first_name, false)
    Object.assign(chat, { peers: { user: userId, bot: botId } })
    return chat
  }

  /** The chat `chatId` names from `actor`'s side: a group, or a private chat with that user or bot. */
  chatFor(actor: number, chatId: number | string): ChatRecord {
    if (typeof chatId === "string") {
      const name = chatId.slice(1).toLowerCase()
      const chat = [...this.chats.values()].find((c) => c.username?.toLowerCase() === name)
      if (chat === undefined) throw badRequest("chat not found")
      return chat
    }
    if (chatId < 0) {
      const chat = this.chats.get(chatId)
      if (chat === undefined) throw badRequest("chat not found")
      return chat
    }
    const peer = this.users.get(chatId)
    const actorIsBot = this.bots.has(actor)
    if (peer === undefined || peer.id === actor) throw badRequest("chat not found")
    if (actorIsBot && peer.is_bot) throw forbidden("bot can't send messages to bots")
    if (!actorIsBot && !peer.is_bot) throw badRequest("chat not found")
    return actorIsBot ? this.privateChat(peer.id, actor) : this.privateChat(actor, peer.id)
  }

  member(chat: ChatRecord, userId: number): MemberRecord | undefined {
    return memberOf(chat, userId)
  }

  can(chat: ChatRecord, userId: number, right: Parameters<typeof can>[2]): boolean {
    return can(chat, userId, right)
  }

  isAdmin(chat: ChatRecord, userId: number): boolean {
    return isAdmin(chat, userId)
  }

  /** See {@link changeMember}. */
  setMember(
    chat: ChatRecord,
    userId: number,
    status: MemberStatus,
    by: number,
    rights?: AdminRights,
    silent = false,
    untilDate?: number
  ): void {
    changeMember(this, chat, userId, status, by, rights, silent, untilDate)
  }

  /** Sends the message (or its edit) to every bot that would receive it in Telegram. */
  deliver(chat: ChatRecord, message: StoredMessage, kind: "message" | "edited_message"): void {
    deliver(this, chat, message, kind)
  }

  push(botId: number, body: UpdateBody): void {
    this.inboxes.get(botId)?.push(body)
  }

  /** Stores a new message in the chat under the chat's next message id. */
  store(
    chat: ChatRecord,
    fields: Omit<StoredMessage, "id" | "chatKey" | "date" | "deleted" | "reactions">
  ): StoredMessage {
    const message: StoredMessage = {
      id: chat.nextMessageId++,
      chatKey: chat.key,
      date: this.now(),
      deleted: false,
      reactions: new Map(),
      ...fields
    }
    chat.messages.set(message.id, message)
    for (const listener of this.storedListeners) listener(chat, message)
    return message
  }

  /**
   * Calls `listener` with every message stored from now on (people's, bots', service messages),
   * synchronously as it is stored and before any bot is told; answers a function that stops it.
   */
  onStored(listener: (chat: ChatRecord, message: StoredMessage) => void): () => void {
    this.storedListeners.add(listener)
    return () => this.storedListeners.delete(listener)
  }

  render(message: StoredMessage, viewer: number): Message {
    return renderMessage(this, message, viewer)
  }

  /** The message `messageId` of the chat, unless it never existed or was deleted. */
  message(chat: ChatRecord, messageId: number): StoredMessage | undefined {
    const message = chat.messages.get(messageId)
    return message === undefined || message.deleted ? undefined : message
  }

  close(): void {
    for (const inbox of this.inboxes.values()) inbox.close()
  }
}
