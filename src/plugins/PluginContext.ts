import type { HttpClient } from "@effect/platform"
import { Data, type Duration, type Effect, type Option, type ParseResult, type Schema } from "effect"
import type { ApiMethods, Message, Opts } from "grammy/types"
import type { ActorKind, CommandFor } from "../../machines/index.ts"
import type { PluginEmittedEvents } from "./definePlugin.ts"
import type { TimerEvent } from "./PluginEvents.ts"
import type { SearchHit, SearchOptions, SentMessage } from "./PluginStore.ts"

/**
 * A group, or a topic in it (`threadId`; 1 is General).
 *
 * @example
 * const announcements: Place = { chatId: -1001234567890, threadId: 42 }
 */
export interface Place {
  readonly chatId: number
  readonly threadId?: number
}

/**
 * Telegram's own options of `sendMessage`, besides the chat, the topic and the text.
 *
 * @example
 * const options: SendOptions = { parse_mode: "HTML", disable_notification: true }
 */
export type SendOptions = Omit<Opts<"sendMessage">, "chat_id" | "message_thread_id" | "text">

/**
 * Key-value storage of one plugin in one place, in PostgreSQL. Values are JSON. Writes take
 * effect when the handler succeeds, together with its messages and timers; reads see the
 * handler's own writes.
 *
 * @example
 * const seen = yield* ctx.storage.topic.get("seen", Schema.Number)
 * yield* ctx.storage.topic.set("seen", Option.getOrElse(seen, () => 0) + 1)
 */
export interface Store {
  /** The value under `key`, if any. */
  get(key: string): Effect.Effect<Option.Option<unknown>>
  /** The value under `key` decoded with `schema`; fails with the ParseError if it does not match. */
  get<A, I>(key: string, schema: Schema.Schema<A, I>): Effect.Effect<Option.Option<A>, ParseResult.ParseError>
  /** Stores `value` (anything `JSON.stringify` keeps) under `key`. */
  set(key: string, value: unknown): Effect.Effect<void>
  delete(key: string): Effect.Effect<void>
  /** Every key and value here, by key. */
  entries(): Effect.Effect<ReadonlyArray<readonly [string, unknown]>>
  /**
   * Full-text search (PostgreSQL) over the values here that are objects with a `title`, `text` or
   * `tags` (an array of strings): best first, values holding every word before those holding some.
   * `query` is web-search syntax (`"exact phrase"`, `-excluded`, `or`); `tags` keeps only values
   * tagged with all of them; an empty query with `tags` lists those, newest first. It sees what
   * earlier deliveries stored, not this handler's own writes.
   *
   * @example
   * const hits = yield* ctx.storage.group.search("deploy staging", { tags: ["howto"], prefix: "entry:", limit: 5 })
   * // [{ key: "entry:42", value: { title: "How to deploy to staging", ... }, rank: 0.83 }, ...]
   */
  search(query: string, options?: SearchOptions): Effect.Effect<ReadonlyArray<SearchHit>>
}

/**
 * Another plugin's storage, to read only: `get`, `entries` and `search` of its `Store`.
 *
 * @example
 * const hits = yield* ctx.storage.read("knowledge-base").group.search("refund", { prefix: "entry:", limit: 3 })
 */
export type ReadOnlyStore = Pick<Store, "get" | "entries" | "search">

/**
 * What `ctx.storage.read(plugin)` opens of another plugin's storage. Where that plugin is not
 * enabled (in the group itself or in any of its topics, see `/plugins`), or is not installed, it
 * answers nothing: no value, no entries, no hits.
 */
export interface PluginReader {
  /** That plugin's storage of the event's group (its `ctx.storage.group`); dies for an event in no group. */
  readonly group: ReadOnlyStore
}

/**
 * A plugin's storage: here (the event's group or topic), anywhere, or plugin-wide.
 *
 * @example
 * yield* ctx.storage.group.set("welcome", "Read the pinned message first")
 * yield* ctx.storage.at({ chatId: -1001234567890, threadId: 42 }).delete("draft")
 */
export interface PluginStorage {
  /** The event's group; dies for an event that happened in no group. */
  readonly group: Store
  /** The event's topic (General when it names none); dies for an event in no group. */
  readonly topic: Store
  /** State of the plugin itself, in no group. */
  readonly plugin: Store
  at(place: Place): Store
  /**
   * Reads another plugin's group storage (read-only), where that plugin is enabled: how one plugin
   * uses what another keeps, such as the knowledge base's entries. Its layout is that plugin's own
   * (its README says what it keeps under which keys).
   *
   * @example
   * const kb = ctx.storage.read("knowledge-base").group
   * const hits = yield* kb.search("how to reset a password", { prefix: "entry:", limit: 3 })
   */
  read(plugin: string): PluginReader
}

/**
 * Durable timers of the plugin, kept across restarts: when one falls due, the plugin receives
 * `timer.fired` with its name and event. Setting a name again replaces that timer.
 *
 * @example
 * yield* ctx.timers.set(`remind:${event.messageId}`, "1 hour", { type: "remind", chatId: event.chatId })
 * yield* ctx.timers.cancel(`remind:${event.messageId}`)
 */
export interface PluginTimers {
  set(name: string, delay: Duration.DurationInput, event: TimerEvent): Effect.Effect<void>
  cancel(name: string): Effect.Effect<void>
}

/**
 * Log lines annotated with the plugin, the actor and the event.
 *
 * @example
 * yield* ctx.log.info("reminder set for", event.from?.first_name)
 */
export interface PluginLog {
  info(...message: ReadonlyArray<unknown>): Effect.Effect<void>
  warning(...message: ReadonlyArray<unknown>): Effect.Effect<void>
  error(...message: ReadonlyArray<unknown>): Effect.Effect<void>
}

/**
 * A file fetched from Telegram with `ctx.downloadFile`: its bytes and Telegram's `file_path`.
 *
 * @example
 * const voice = yield* ctx.downloadFile(message.voice.file_id, { maxBytes: 20_000_000 })
 * yield* ctx.log.info(`${voice.path}: ${voice.bytes.length} bytes`)
 */
export interface DownloadedFile {
  readonly bytes: Uint8Array
  /** Telegram's `file_path` (`voice/file_12.oga`); its extension tells the format. */
  readonly path: string
}

/**
 * Telegram would not give a file: an unknown or foreign file id, a file over `maxBytes` or over the
 * Bot API's 20 MB download limit, a connection that is not a bot, or Telegram unreachable. `reason`
 * never holds the bot's token.
 *
 * @example
 * ctx.downloadFile(fileId).pipe(Effect.catchTag("FileDownloadFailed", (failed) => ctx.reply(failed.reason)))
 */
export class FileDownloadFailed extends Data.TaggedError("FileDownloadFailed")<{
  readonly fileId: string
  readonly reason: string
}> {}

/**
 * A client's message of a dialog, as Telegram sent it to the bot, and the id of its copy in the
 * dialog's topic once the copy has been made (`dialog.clientWrote` carries only the message's id).
 *
 * @example
 * const found = yield* ctx.clientMessage(event)
 * if (Option.isSome(found) && found.value.message.voice !== undefined) ...
 */
export interface ClientMessage {
  readonly message: Message
  /** The copy in the topic (reply to this one there), or undefined while it is not sent yet. */
  readonly copyId: number | undefined
}

/**
 * What a handler may do. Bot API calls are queued in the outbox and sent by the Sender (in order
 * per chat, within Telegram's limits); they, storage writes, timers and commands to actors are
 * committed together once the handler succeeds, and dropped if it fails or times out.
 *
 * @example
 * on: {
 *   "group.messagePosted": (event, ctx) =>
 *     event.topicKind !== "announcements" || event.from === null
 *       ? Effect.void
 *       : Effect.flatMap(ctx.isAdmin(event.from.id), (admin) =>
 *           admin ? Effect.void : ctx.deleteMessage(event.chatId, event.messageId)
 *         )
 * }
 */
export interface PluginContext<Config> {
  /** The plugin's id. */
  readonly plugin: string
  /** The configuration in force where the event happened (defaults ⊕ group ⊕ topic). */
  readonly config: Config
  /** Where the event happened, if in a group. */
  readonly place: Place | undefined
  /** Answers the event's message (or posts in its topic); dies for an event in no group. */
  reply(text: string, options?: SendOptions): Effect.Effect<void>
  /** Posts in a group's General topic, or in `threadId`. */
  post(place: Place, text: string, options?: SendOptions): Effect.Effect<void>
  /**
   * Creates a topic (through the group actor, once per name while Telegram has not answered); it
   * arrives as `group.topicRegistered` (kind `unknown`) once Telegram created it, or as
   * `group.topicCreationFailed` when Telegram refused.
   */
  createTopic(
    chatId: number,
    name: string,
    options?: Omit<Opts<"createForumTopic">, "chat_id" | "name">
  ): Effect.Effect<void>
  editTopic(
    topic: Required<Place>,
    changes: Omit<Opts<"editForumTopic">, "chat_id" | "message_thread_id">
  ): Effect.Effect<void>
  closeTopic(topic: Required<Place>): Effect.Effect<void>
  reopenTopic(topic: Required<Place>): Effect.Effect<void>
  deleteMessage(chatId: number, messageId: number): Effect.Effect<void>
  /** Any other Bot API call, queued like the rest (its result is not returned; params are JSON). */
  call<M extends keyof ApiMethods>(
    method: M,
    params: Opts<M> & { readonly chat_id: number }
  ): Effect.Effect<void>
  readonly storage: PluginStorage
  readonly timers: PluginTimers
  /** An HTTP client for the services the plugin relays to. */
  readonly http: HttpClient.HttpClient
  readonly log: PluginLog
  /** Sends a command to an actor (`send("group", chatId, { type: "group.setTopicKind", ... })`). */
  send<K extends ActorKind>(kind: K, id: string | number, command: CommandFor<K>): Effect.Effect<void>
  /**
   * Whether `userId` administers the event's group (or `chatId`), as Telegram answers `getChatMember`
   * (kept at most 60 s, dropped when that member's status changes).
   */
  isAdmin(userId: number, chatId?: number): Effect.Effect<boolean>
  /**
   * Fetches a file by its `file_id` (`getFile`, then the Bot API's file download URL) through the
   * event's bot, or `connection`; refuses files over `maxBytes`. Bot connections only.
   */
  downloadFile(
    fileId: string,
    options?: { readonly connection?: string; readonly maxBytes?: number }
  ): Effect.Effect<DownloadedFile, FileDownloadFailed>
  /**
   * The client's message `messageId` of the dialog of `connection` and `peerId` (the fields of
   * `dialog.clientWrote`), with its copy in the topic; none when Backline has not received it.
   */
  clientMessage(dialog: {
    readonly connection: string
    readonly peerId: number
    readonly messageId: number
  }): Effect.Effect<Option.Option<ClientMessage>>
  /**
   * Emits an event of this plugin for other plugins: its type is `<id>.<fact>`, declared in
   * `PluginEmittedEvents`; it is journalled under `plugin:<id>` with the handler's other effects,
   * and reaches the plugins that handle it where they are enabled (its `chatId` and `threadId`).
   */
  emit<T extends keyof PluginEmittedEvents>(
    event: PluginEmittedEvents[T] & { readonly type: T }
  ): Effect.Effect<void>
  /**
   * The messages Telegram accepted from this plugin's `sendMessage` calls in `place` (a topic, or
   * with no `threadId` the whole chat), newest first, at most `limit` (10): how a plugin learns the
   * id of a message it posted, to edit or pin it later (a call still queued is not among them yet).
   *
   * @example
   * const [index] = yield* ctx.sentMessages({ chatId: event.chatId, threadId: 42 }, 1)
   * if (index !== undefined) yield* ctx.call("pinChatMessage", { chat_id: event.chatId, message_id: index.messageId })
   */
  sentMessages(place: Place, limit?: number): Effect.Effect<ReadonlyArray<SentMessage>>
}
