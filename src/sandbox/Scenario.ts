import type { Message, User } from "grammy/types"
import { demoWorld, type DemoWorld } from "./Demo.ts"
import type { TopicView } from "./ControlInput.ts"
import { startSandbox, type RunningSandbox, type ServeOptions } from "./Server.ts"

const envelope: ReadonlySet<string> = new Set([
  "message_id",
  "message_thread_id",
  "from",
  "sender_chat",
  "chat",
  "date",
  "is_topic_message",
  "reply_to_message",
  "edit_date",
  "forward_origin",
  "media_group_id",
  "reply_markup"
])

/** The visible text of a message: its text or caption, else `[kind]` of what it holds (`[photo]`). */
export const visibleText = (message: Message): string =>
  message.text ??
  message.caption ??
  (message.forum_topic_created !== undefined
    ? `[topic created: ${message.forum_topic_created.name}]`
    : `[${Object.keys(message).find((key) => !envelope.has(key)) ?? "empty"}]`)

/** Someone acting in the sandbox: each action is what the person would do in their Telegram app. */
export class Person {
  constructor(
    private readonly scenario: Scenario,
    readonly user: User
  ) {}

  private get world() {
    return this.scenario.sandbox.world
  }

  /** Writes to a bot in private. */
  writesTo(bot: User, text: string): Message {
    return this.world.sendMessage({ from: this.user.id, chat_id: bot.id, text })
  }

  /** Writes in a group, in a topic when given. */
  writesIn(chatId: number, text: string, options: { topic?: number; replyTo?: number } = {}): Message {
    return this.world.sendMessage({
      from: this.user.id,
      chat_id: chatId,
      text,
      ...(options.topic !== undefined ? { message_thread_id: options.topic } : {}),
      ...(options.replyTo !== undefined ? { reply_to_message_id: options.replyTo } : {})
    })
  }

  /** Writes in a topic of the backend group. */
  repliesIn(topic: number, text: string): Message {
    return this.writesIn(this.scenario.demo.group.id, text, { topic })
  }

  reactsTo(message: Message, emoji: string): void {
    this.world.react({
      from: this.user.id,
      chat_id: this.chatIdOf(message),
      message_id: message.message_id,
      reaction: [emoji]
    })
  }

  presses(message: Message, data: string): string {
    return this.world.pressButton({
      from: this.user.id,
      chat_id: this.chatIdOf(message),
      message_id: message.message_id,
      data
    }).callback_query_id
  }

  /** Messages this person sees in a chat (a bot's id for the private chat with it), oldest first. */
  messagesIn(chatId: number, topic?: number): Array<Message> {
    return this.world.messages(chatId, this.user.id, topic)
  }

  /** What this person reads in a chat or topic: one string per message. */
  sees(chatId: number, topic?: number): Array<string> {
    return this.messagesIn(chatId, topic).map(visibleText)
  }

  // Messages a person reads carry the chat as they see it: a private chat is named after the bot.
  private chatIdOf(message: Message): number {
    return message.chat.id
  }
}

/**
 * A story over the demo world: clients write to the bot, operators answer in topics, and the test
 * reads what each person sees.
 *
 * @example
 * const story = await Scenario.start()
 * story.client(0).writesTo(story.bot, "Hello")
 * const topic = await story.eventually(() => story.topics()[0])
 * story.operator(0).repliesIn(topic.message_thread_id, "Hi, how can we help?")
 * await story.eventually(() => story.client(0).sees(story.bot.id).includes("Hi, how can we help?"))
 * await story.close()
 */
export class Scenario {
  private constructor(
    readonly sandbox: RunningSandbox,
    readonly demo: DemoWorld
  ) {}

  static async start(options: ServeOptions = {}): Promise<Scenario> {
    const sandbox = await startSandbox(options)
    return new Scenario(sandbox, demoWorld(sandbox.world))
  }

  get bot(): User {
    return this.demo.bot.user
  }

  get token(): string {
    return this.demo.bot.token
  }

  get apiRoot(): string {
    return this.sandbox.apiRoot
  }

  get admin(): Person {
    return new Person(this, this.demo.admin)
  }

  client(index: 0 | 1 | 2): Person {
    return new Person(this, this.demo.clients[index])
  }

  operator(index: 0 | 1): Person {
    return new Person(this, this.demo.operators[index])
  }

  person(user: User): Person {
    return new Person(this, user)
  }

  /** Topics of the backend group that exist now, in creation order. */
  topics(): Array<TopicView> {
    return this.sandbox.world.topics(this.demo.group.id)
  }

  /** Polls until `probe` returns something other than undefined/false, or fails after `timeoutMs`. */
  async eventually<T>(probe: () => T | undefined | false, timeoutMs = 3000): Promise<T> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const value = probe()
      if (value !== undefined && value !== false) return value
      if (Date.now() > deadline) throw new Error(`eventually: condition not met within ${timeoutMs} ms`)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }

  close(): Promise<void> {
    return this.sandbox.close()
  }
}
