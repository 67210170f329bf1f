import type { Chat, Message, ReactionType, User } from "grammy/types"
import type { NewBot, NewChat, NewUser } from "./Accounts.ts"
import { BotApi } from "./BotApi.ts"
import { invalidField } from "./BotApiError.ts"
import {
  chatOfUser,
  requireNumber,
  topicView,
  userOf,
  type TopicView,
  type UserMessage
} from "./ControlInput.ts"
import { SandboxEvents, type SandboxEvent } from "./Events.ts"
import { Faults, type FaultSpec } from "./Faults.ts"
import { createTopic, deleteTopic, listTopics, setTopicClosed } from "./Forum.ts"
import { defaultLimits, RateLimiter, type LimitsConfig } from "./Limits.ts"
import { fullRightsIn, type MemberStatus } from "./Model.ts"
import { Params } from "./Params.ts"
import { toChat, toUser } from "./RenderChat.ts"
import { block, deleteMessage, editMessage, pressButton, reactTo, sendMessage } from "./UserActions.ts"
import { defaultWebhookRetry, Webhooks, type WebhookRetry } from "./Webhooks.ts"
import { World } from "./World.ts"

export interface SandboxOptions {
  /** Rate limits; on by default with Telegram's figures. */
  readonly limits?: Partial<LimitsConfig> | undefined
  readonly webhookRetry?: Partial<WebhookRetry> | undefined
  /** Milliseconds since the epoch; message dates and flood control read it. */
  readonly clock?: (() => number) | undefined
}

/**
 * The sandbox: a Telegram world, its Bot API and the control API that acts as users do
 * (create accounts and chats, write, edit, react, press buttons) and reads what each user sees.
 */
export class Sandbox {
  readonly world: World
  readonly limiter: RateLimiter
  readonly faults = new Faults()
  /** What changes, as it changes: the control API's `GET /events` stream reads it. */
  readonly events = new SandboxEvents()
  readonly api: BotApi
  private readonly webhooks: Webhooks

  constructor(options: SandboxOptions = {}) {
    this.world = new World(options.clock)
    this.limiter = new RateLimiter({ ...defaultLimits, ...options.limits }, options.clock)
    const retry = { ...defaultWebhookRetry, ...options.webhookRetry }
    this.webhooks = new Webhooks(
      this.world,
      () => ({ ...retry, timeScale: this.limiter.config.timeScale }),
      async (botId, method, fields) => {
        const token = this.world.bots.get(botId)!.token
        await this.api.call(token, method, new Params(fields))
      }
    )
    this.api = new BotApi(
      this.world,
      this.limiter,
      this.faults,
      (botId) => this.webhooks.start(botId),
      (method, params) => this.events.botCall(method, params.raw("chat_id"))
    )
    this.world.onStored((chat, message) => {
      if (this.events.size === 0) return
      this.events.emit({
        type: "message",
        chat_id: chat.id,
        message_id: message.id,
        ...(message.threadId !== undefined ? { message_thread_id: message.threadId } : {})
      })
    })
  }

  /** Tells the event stream of a person's action in `chatId` (named from `from`'s side). */
  private changed(type: SandboxEvent["type"], from: number, chatId: number, messageId?: number): void {
    if (this.events.size === 0) return
    let chat: number | undefined
    try {
      chat = chatOfUser(this.world, from, chatId).id
    } catch {
      chat = undefined
    }
    this.events.emit({
      type,
      ...(chat !== undefined ? { chat_id: chat } : {}),
      ...(messageId !== undefined ? { message_id: messageId } : {})
    })
  }

  createUser(input: NewUser): User {
    return toUser(this.world.createUser(input))
  }

  /** Every person (not bot) in the sandbox, in order of creation. */
  people(): Array<User> {
    return [...this.world.users.values()].filter((user) => !user.is_bot).map(toUser)
  }

  createBot(input: NewBot): { user: User; token: string } {
    const bot = this.world.createBot(input)
    return { user: toUser(bot.user), token: bot.token }
  }

  createChat(input: NewChat): Chat {
    const chat = this.world.createChat(input)
    return toChat(this.world, chat, input.owner)
  }

  /** Adds, promotes, restricts or removes a member, as the chat owner (or `by`) would. */
  setMember(chatId: number, input: { user_id: number; status: MemberStatus; by?: number }): void {
    const chat = this.world.chats.get(requireNumber("chat_id", chatId))
    if (chat === undefined) throw invalidField("chat_id", "no such chat", 404)
    const user = userOf(this.world, "user_id", input.user_id)
    const statuses: ReadonlyArray<MemberStatus> = ["member", "administrator", "restricted", "left", "kicked"]
    if (!statuses.includes(input.status))
      throw invalidField("status", `must be one of ${statuses.join(", ")}`)
    const owner = [...chat.members.values()].find((m) => m.status === "creator")!.userId
    const by = input.by === undefined ? owner : userOf(this.world, "by", input.by).id
    this.world.setMember(
      chat,
      user.id,
      input.status,
      by,
      input.status === "administrator" ? fullRightsIn(chat.type) : undefined
    )
    this.events.emit({ type: "member", chat_id: chat.id })
  }

  /** A user writes: a private message to a bot (`chat_id` is the bot's id) or a group message. */
  sendMessage(input: UserMessage): Message {
    return sendMessage(this.world, input)
  }

  /** A user edits their message's text or caption, or as a channel admin allowed to, a channel post. */
  edit(input: Parameters<typeof editMessage>[1]): Message {
    const edited = editMessage(this.world, input)
    this.changed("edit", input.from, input.chat_id, input.message_id)
    return edited
  }

  /** A user sets their reactions on a message (emoji strings or ReactionType objects). */
  react(input: Parameters<typeof reactTo>[1]): void {
    reactTo(this.world, input)
    this.changed("reaction", input.from, input.chat_id, input.message_id)
  }

  /** A user deletes a message (their own, or any as an admin). */
  deleteMessage(input: Parameters<typeof deleteMessage>[1]): void {
    deleteMessage(this.world, input)
    this.changed("deletion", input.from, input.chat_id, input.message_id)
  }

  /** A user presses an inline button; the bot that sent the message gets `callback_query`. */
  pressButton(input: Parameters<typeof pressButton>[1]): { callback_query_id: string } {
    const pressed = pressButton(this.world, input)
    this.changed("callback", input.from, input.chat_id, input.message_id)
    return pressed
  }

  /** A user blocks (or unblocks) a bot; the bot gets `my_chat_member`, and 403 when it writes. */
  block(input: Parameters<typeof block>[1]): void {
    block(this.world, input)
    this.changed("member", input.user, input.bot)
  }

  /** How the bot answered a button press, if it did. */
  callbackAnswer(id: string): { answered: boolean; text?: string; show_alert?: boolean; url?: string } {
    const query = this.world.callbacks.get(id)
    if (query === undefined) throw invalidField("callback_query_id", "no such callback query", 404)
    return query.answer === undefined ? { answered: false } : { answered: true, ...query.answer }
  }

  /** A user (an admin, or anyone the group allows) creates, closes, reopens or deletes a topic. */
  createTopic(chatId: number, input: { from: number; name: string; icon_color?: number }): TopicView {
    const from = userOf(this.world, "from", input.from)
    const chat = chatOfUser(this.world, from.id, chatId)
    if (typeof input.name !== "string") throw invalidField("name", "is required")
    const topic = topicView(createTopic(this.world, chat, from.id, input.name, input.icon_color))
    this.events.emit({ type: "topic", chat_id: chat.id, message_thread_id: topic.message_thread_id })
    return topic
  }

  topicAction(chatId: number, threadId: number, action: "delete" | "close" | "reopen", from?: number): void {
    const chat = this.world.chats.get(requireNumber("chat_id", chatId))
    if (chat === undefined) throw invalidField("chat_id", "no such chat", 404)
    const topic = chat.topics.get(requireNumber("message_thread_id", threadId))
    if (topic === undefined || topic.deleted) throw invalidField("message_thread_id", "no such topic", 404)
    const actor =
      from === undefined
        ? [...chat.members.values()].find((m) => m.status === "creator")!.userId
        : userOf(this.world, "from", from).id
    if (action === "delete") deleteTopic(this.world, chat, actor, topic.threadId)
    else setTopicClosed(this.world, chat, actor, topic.threadId, action === "close")
    this.events.emit({ type: "topic", chat_id: chat.id, message_thread_id: topic.threadId })
  }

  /** Messages `as` sees in the chat (for a private chat with a bot, `chatId` is the bot's id), oldest first. */
  messages(chatId: number, as: number, threadId?: number): Array<Message> {
    const viewer = userOf(this.world, "as", as)
    const chat = chatOfUser(this.world, viewer.id, chatId)
    const inThread = (t: number | undefined) =>
      threadId === undefined || (threadId === 1 ? t === undefined : t === threadId)
    return [...chat.messages.values()]
      .filter((m) => !m.deleted && inThread(m.threadId))
      .map((m) => this.world.render(m, viewer.id))
  }

  /** The reactions on a message as `as` sees them under it: who reacted with what. */
  reactions(
    chatId: number,
    as: number,
    messageId: number
  ): Array<{ user_id: number; reaction: Array<ReactionType> }> {
    const viewer = userOf(this.world, "as", as)
    const chat = chatOfUser(this.world, viewer.id, chatId)
    const message = this.world.message(chat, requireNumber("message_id", messageId))
    if (message === undefined || message.deleted) throw invalidField("message_id", "no such message", 404)
    return [...message.reactions.entries()].map(([user, reaction]) => ({ user_id: user, reaction }))
  }

  /** Topics that exist in the chat, in creation order. */
  topics(chatId: number): Array<TopicView> {
    const chat = this.world.chats.get(requireNumber("chat_id", chatId))
    if (chat === undefined) throw invalidField("chat_id", "no such chat", 404)
    if (!chat.isForum) throw invalidField("chat_id", "the chat is not a forum")
    return listTopics(chat).map(topicView)
  }

  /** The next `count` matching Bot API calls fail as described. */
  fault(input: Omit<FaultSpec, "kind" | "count"> & { kind?: FaultSpec["kind"]; count?: number }): void {
    if (typeof input.method !== "string" || input.method === "") throw invalidField("method", "is required")
    const kind = input.kind ?? "error"
    if (!["error", "drop", "timeout"].includes(kind))
      throw invalidField("kind", 'must be "error", "drop" or "timeout"')
    if (kind === "error" && input.error_code === undefined)
      throw invalidField("error_code", "is required for an error")
    const count = input.count ?? 1
    if (!Number.isInteger(count) || count < 1) throw invalidField("count", "must be a positive integer")
    if (input.error_code !== undefined) requireNumber("error_code", input.error_code)
    this.faults.add({ ...input, kind, count })
  }

  setLimits(input: { enabled: boolean; timeScale?: number }): LimitsConfig {
    if (typeof input.enabled !== "boolean") throw invalidField("enabled", "must be a boolean")
    if (input.timeScale !== undefined && !(typeof input.timeScale === "number" && input.timeScale > 0)) {
      throw invalidField("timeScale", "must be a positive number")
    }
    this.limiter.configure({
      enabled: input.enabled,
      ...(input.timeScale !== undefined ? { timeScale: input.timeScale } : {})
    })
    return this.limiter.config
  }

  close(): void {
    this.webhooks.close()
    this.world.close()
  }
}
