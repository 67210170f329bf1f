import { splitText } from "../domain/Text.ts"
import { randomUUID } from "node:crypto"
import { HttpClient } from "@effect/platform"
import { Effect, Option, Schema } from "effect"
import { GENERAL } from "../../machines/group.messages.ts"
import type { CommandFor } from "../../machines/index.ts"
import { ConnectionId } from "../domain/Ids.ts"
import { ChatAdmins } from "../telegram/ChatAdmins.ts"
import { BotApi } from "../telegram/BotApi.ts"
import { Connections } from "../telegram/Connections.ts"
import { SqlClient } from "@effect/sql"
import { Redacted } from "effect"
import type { Message } from "grammy/types"
import { FileDownloadFailed, type ClientMessage, type DownloadedFile } from "./PluginContext.ts"
import { ChatConnections } from "./ChatConnections.ts"
import type { Place, PluginContext, SendOptions, Store } from "./PluginContext.ts"
import { PluginEffects, pluginKey, type Intent } from "./PluginEffects.ts"
import type { PluginEvent } from "./PluginEvents.ts"
import type { LoadedPlugin } from "./PluginRegistry.ts"
import { pluginScope, PluginStore, type StoreScope } from "./PluginStore.ts"
import { PluginSettings } from "./PluginSettings.ts"
import type { ReadOnlyStore } from "./PluginContext.ts"

/** What a context knows about the event it serves. */
export interface Origin {
  readonly event: PluginEvent | undefined
  readonly place: Place | undefined
  /** The bot the event came through, when it says. */
  readonly connection: string | undefined
  /** Recorded with the outbox rows the plugin queues (`journal:<seq>`). */
  readonly cause: string
}

const sameScope = (a: StoreScope, b: StoreScope) => a.chatId === b.chatId && a.threadId === b.threadId

/** `value` as it will read back from the database (JSON), or a defect if it is not JSON. */
const asJson = (value: unknown) =>
  Effect.suspend(() => {
    const text = JSON.stringify(value) as string | undefined
    return text === undefined
      ? Effect.dieMessage("plugin storage keeps JSON values only")
      : Effect.succeed(JSON.parse(text) as unknown)
  })

const nowhere = (what: string): Effect.Effect<never> =>
  Effect.dieMessage(`${what}: this event happened in no group`)

/** `ctx.downloadFile` and `ctx.clientMessage`: Telegram's files and a dialog's client messages. */
const telegramFiles = (
  sql: SqlClient.SqlClient,
  connections: Connections,
  botApi: BotApi,
  http: HttpClient.HttpClient
) => {
  const download = (connection: string, fileId: string, maxBytes: number | undefined) =>
    Effect.gen(function* () {
      const refuse = (reason: string) => new FileDownloadFailed({ fileId, reason })
      const bot = connection.startsWith("bot:")
        ? yield* connections.get(ConnectionId.make(connection))
        : Option.none()
      if (Option.isNone(bot)) return yield* refuse(`${connection} is not a bot connection`)
      const token = Redacted.value(bot.value.token)
      const file = (yield* botApi
        .call(bot.value, "getFile", { file_id: fileId })
        .pipe(
          Effect.mapError((failure) =>
            refuse(`getFile: ${"description" in failure ? failure.description : failure._tag}`)
          )
        )) as { file_path?: string; file_size?: number }
      if (file.file_path === undefined) return yield* refuse("Telegram gave no file_path")
      if (maxBytes !== undefined && (file.file_size ?? 0) > maxBytes)
        return yield* refuse(`the file has ${file.file_size} bytes, more than ${maxBytes}`)
      const url = `${bot.value.apiRoot.replace(/\/+$/, "")}/file/bot${token}/${file.file_path}`
      const bytes = yield* http.get(url).pipe(
        Effect.flatMap((response) =>
          response.status === 200 ? response.arrayBuffer : Effect.fail(new Error(`HTTP ${response.status}`))
        ),
        Effect.scoped,
        Effect.mapError((error) => refuse(`download: ${error.message.split(token).join("<token>")}`))
      )
      if (maxBytes !== undefined && bytes.byteLength > maxBytes)
        return yield* refuse(`the file has ${bytes.byteLength} bytes, more than ${maxBytes}`)
      return { bytes: new Uint8Array(bytes), path: file.file_path } satisfies DownloadedFile
    })

  const clientMessage = (dialog: { connection: string; peerId: number; messageId: number }) =>
    Effect.gen(function* () {
      const [received] = yield* sql<{ message: Message }>`
        select payload -> 'message' as message from inbox
        where connection_id = ${dialog.connection}
          and payload -> 'message' -> 'chat' ->> 'id' = ${String(dialog.peerId)}
          and payload -> 'message' ->> 'message_id' = ${String(dialog.messageId)}
        order by update_id desc limit 1`
      if (received === undefined) return Option.none<ClientMessage>()
      const [copy] = yield* sql<{ message_id: string }>`
        select message_id from message_map
        where connection_id = ${dialog.connection} and source_chat_id = ${dialog.peerId}
          and source_message_id = ${dialog.messageId}
        order by outbox_id desc limit 1`
      return Option.some<ClientMessage>({
        message: received.message,
        copyId: copy === undefined ? undefined : Number(copy.message_id)
      })
    }).pipe(Effect.orDie)

  return { download, clientMessage } as const
}

/**
 * Builds the context handlers receive. With a `buffer`, what the context decides is collected
 * there, to be committed with the delivery; without one (a plugin's `start`), it is written at once.
 */
export class PluginContexts extends Effect.Service<PluginContexts>()("app/PluginContexts", {
  effect: Effect.gen(function* () {
    const store = yield* PluginStore
    const effects = yield* PluginEffects
    const chats = yield* ChatConnections
    const admins = yield* ChatAdmins
    const http = yield* HttpClient.HttpClient
    const files = telegramFiles(yield* SqlClient.SqlClient, yield* Connections, yield* BotApi, http)
    const settings = yield* PluginSettings

    // `ctx.storage.read`: whether `plugin` is installed and enabled in the group or one of its topics.
    const enabledIn = (plugin: string, chatId: number) =>
      Effect.gen(function* () {
        const effective = yield* Effect.option(settings.effective(plugin, { chatId }))
        if (Option.isNone(effective)) return false
        if (effective.value.enabled) return true
        const rows = yield* settings.inGroup(chatId)
        return rows.some((row) => row.plugin === plugin && row.threadId !== 0 && row.enabled === true)
      })
    const readOnly = (plugin: string, scope: StoreScope): ReadOnlyStore => {
      const ifEnabled = <A, E>(none: A, read: () => Effect.Effect<A, E>) =>
        Effect.flatMap(enabledIn(plugin, scope.chatId), (enabled) =>
          enabled ? read() : Effect.succeed(none)
        )
      const get = (key: string, schema?: Schema.Schema<unknown, unknown>) =>
        ifEnabled(Option.none<unknown>(), () =>
          schema === undefined
            ? store.get(plugin, scope, key)
            : Effect.flatMap(store.get(plugin, scope, key), (found) =>
                Option.isNone(found)
                  ? Effect.succeedNone
                  : Effect.map(Schema.decodeUnknown(schema)(found.value), Option.some)
              )
        )
      return {
        get: get as ReadOnlyStore["get"],
        entries: () => ifEnabled([], () => store.entries(plugin, scope)),
        search: (query, options) => ifEnabled([], () => store.search(plugin, scope, query, options))
      }
    }

    const make = <Config>(
      loaded: LoadedPlugin,
      config: Config,
      origin: Origin,
      buffer: Array<Intent> | undefined
    ): PluginContext<Config> => {
      const id = loaded.plugin.id
      const decide = (intent: Intent) =>
        buffer === undefined ? effects.apply(id, [intent]) : Effect.sync(() => void buffer.push(intent))
      // The event's own group, or a private chat (a user's): through the bot the event came through.
      const connectionFor = (chatId: number) =>
        (chatId === origin.place?.chatId || chatId > 0) && origin.connection !== undefined
          ? Effect.succeed(origin.connection)
          : chats.forChat(chatId)
      const send = (chatId: number, method: string, params: Readonly<Record<string, unknown>>) =>
        Effect.flatMap(connectionFor(chatId), (connection) =>
          decide({
            _tag: "Send",
            entry: {
              connection: ConnectionId.make(connection),
              chatId,
              method,
              params: { ...params, chat_id: chatId },
              actorKey: pluginKey(id),
              cause: origin.cause
            }
          })
        )
      const topic = (place: Place) =>
        place.threadId === undefined || place.threadId === GENERAL
          ? {}
          : { message_thread_id: place.threadId }

      // The latest write of this handler to (scope, key): Some(None) for a delete.
      const written = (scope: StoreScope, key: string) => {
        for (const intent of [...(buffer ?? [])].reverse()) {
          if (intent._tag !== "StateSet" && intent._tag !== "StateDelete") continue
          if (intent.key !== key || !sameScope(intent.scope, scope)) continue
          return Option.some(intent._tag === "StateSet" ? Option.some(intent.value) : Option.none())
        }
        return Option.none()
      }
      const storeAt = (scope: StoreScope): Store => {
        const read = (key: string) =>
          Option.match(written(scope, key), {
            onNone: () => store.get(id, scope, key),
            onSome: Effect.succeed
          })
        const get = (key: string, schema?: Schema.Schema<unknown, unknown>) =>
          schema === undefined
            ? read(key)
            : Effect.flatMap(read(key), (found) =>
                Option.isNone(found)
                  ? Effect.succeedNone
                  : Effect.map(Schema.decodeUnknown(schema)(found.value), Option.some)
              )
        return {
          get: get as Store["get"],
          set: (key, value) =>
            Effect.flatMap(asJson(value), (json) => decide({ _tag: "StateSet", scope, key, value: json })),
          delete: (key) => decide({ _tag: "StateDelete", scope, key }),
          entries: () =>
            Effect.map(store.entries(id, scope), (stored) => {
              const all = new Map(stored)
              for (const intent of buffer ?? []) {
                if (intent._tag === "StateSet" && sameScope(intent.scope, scope))
                  all.set(intent.key, intent.value)
                if (intent._tag === "StateDelete" && sameScope(intent.scope, scope)) all.delete(intent.key)
              }
              return [...all.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
            }),
          search: (query, options) => store.search(id, scope, query, options)
        }
      }
      const unplaced: Store = {
        get: () => nowhere("storage"),
        set: () => nowhere("storage"),
        delete: () => nowhere("storage"),
        entries: () => nowhere("storage"),
        search: () => nowhere("storage")
      }
      const emitEvent = (emitted: { readonly type: string }) =>
        !emitted.type.startsWith(`${id}.`) || emitted.type.length === id.length + 1
          ? Effect.dieMessage(
              `ctx.emit: the events of "${id}" are typed "${id}.<fact>", not "${emitted.type}"`
            )
          : Effect.flatMap(asJson(emitted), (json) =>
              Effect.suspend(() =>
                decide({
                  _tag: "Emit",
                  event: json as { readonly type: string },
                  // Work outside a delivery (start) has one cause for all it does: each event its own.
                  cause: buffer === undefined ? `${origin.cause}/${randomUUID()}` : origin.cause,
                  ordinal: buffer?.filter((intent) => intent._tag === "Emit").length ?? 0
                })
              )
            )
      const place = origin.place
      const event = origin.event
      const replyTo =
        event !== undefined && "messageId" in event && typeof event.messageId === "number"
          ? event.messageId
          : undefined

      // A text longer than Telegram allows goes as several messages (entities only fit one).
      const sendText = (where: Place, text: string, options: SendOptions) => {
        const parts = splitText(text)
        const { entities: _, ...plain } = options
        return Effect.forEach(
          parts,
          (part) =>
            send(where.chatId, "sendMessage", {
              ...(parts.length > 1 ? plain : options),
              ...topic(where),
              text: part
            }),
          { discard: true }
        )
      }

      return {
        plugin: id,
        config,
        place,
        reply: (text, options = {}) =>
          place === undefined
            ? nowhere("reply")
            : sendText(place, text, {
                ...options,
                ...(replyTo === undefined
                  ? {}
                  : { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } })
              }),
        post: (where, text, options = {}) => sendText(where, text, options),
        // Through the group actor: Telegram sends no update for the bot's own topic, the actor
        // registers it from Telegram's answer (group.topicRegistered).
        createTopic: (chatId, name, options = {}) =>
          Effect.flatMap(connectionFor(chatId), (connection) => {
            const command: CommandFor<"group"> = {
              type: "group.createTopic",
              connection,
              name,
              ...(options.icon_color === undefined ? {} : { iconColor: options.icon_color }),
              ...(options.icon_custom_emoji_id === undefined
                ? {}
                : { iconCustomEmojiId: options.icon_custom_emoji_id })
            }
            return decide({ _tag: "Mail", key: `group:${chatId}`, event: command })
          }),
        editTopic: (where, changes) =>
          send(where.chatId, "editForumTopic", { ...changes, message_thread_id: where.threadId }),
        closeTopic: (where) => send(where.chatId, "closeForumTopic", { message_thread_id: where.threadId }),
        reopenTopic: (where) => send(where.chatId, "reopenForumTopic", { message_thread_id: where.threadId }),
        deleteMessage: (chatId, messageId) => send(chatId, "deleteMessage", { message_id: messageId }),
        call: (method, params) => send(params.chat_id, method, params),
        storage: {
          group: place === undefined ? unplaced : storeAt({ chatId: place.chatId, threadId: 0 }),
          topic:
            place === undefined
              ? unplaced
              : storeAt({ chatId: place.chatId, threadId: place.threadId ?? GENERAL }),
          plugin: storeAt(pluginScope),
          at: (where) => storeAt({ chatId: where.chatId, threadId: where.threadId ?? 0 }),
          read: (other) => ({
            group: place === undefined ? unplaced : readOnly(other, { chatId: place.chatId, threadId: 0 })
          })
        },
        timers: {
          set: (name, delay, timerEvent) => decide({ _tag: "TimerSet", name, delay, event: timerEvent }),
          cancel: (name) => decide({ _tag: "TimerCancel", name })
        },
        http,
        log: {
          info: (...message) => Effect.logInfo(...message),
          warning: (...message) => Effect.logWarning(...message),
          error: (...message) => Effect.logError(...message)
        },
        send: (kind, actor, command) => decide({ _tag: "Mail", key: `${kind}:${actor}`, event: command }),
        isAdmin: (userId, chatId) => {
          const chat = chatId ?? place?.chatId
          return chat === undefined
            ? nowhere("isAdmin")
            : Effect.flatMap(connectionFor(chat), (connection) => admins.isAdmin(connection, chat, userId))
        },
        emit: (emitted) => emitEvent(emitted),
        downloadFile: (fileId, options = {}) =>
          Effect.flatMap(
            options.connection !== undefined
              ? Effect.succeed(options.connection)
              : origin.connection !== undefined
                ? Effect.succeed(origin.connection)
                : place === undefined
                  ? Effect.succeed("")
                  : chats.forChat(place.chatId),
            (connection) => files.download(connection, fileId, options.maxBytes)
          ),
        clientMessage: (dialog) => files.clientMessage(dialog),
        sentMessages: (where, limit) => store.sentMessages(id, where.chatId, where.threadId, limit)
      }
    }

    return { make } as const
  }),
  dependencies: [
    PluginSettings.Default,
    PluginStore.Default,
    PluginEffects.Default,
    ChatConnections.Default,
    ChatAdmins.Default,
    Connections.Default,
    BotApi.Default
  ]
}) {}
