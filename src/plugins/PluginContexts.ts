import { splitText } from "../domain/Text.ts"
import { randomUUID } from "node:crypto"
import { HttpClient } from "@effect/platform"
import { Effect, Option, Schema } from "effect"
import { GENERAL } from "../../machines/group.messages.ts"
import { ConnectionId } from "../domain/Ids.ts"
import { ChatAdmins } from "../telegram/ChatAdmins.ts"
import { ChatConnections } from "./ChatConnections.ts"
import type { Place, PluginContext, SendOptions, Store } from "./PluginContext.ts"
import { PluginEffects, pluginKey, type Intent } from "./PluginEffects.ts"
import type { PluginEvent } from "./PluginEvents.ts"
import type { LoadedPlugin } from "./PluginRegistry.ts"
import { pluginScope, PluginStore, type StoreScope } from "./PluginStore.ts"

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
            })
        }
      }
      const unplaced: Store = {
        get: () => nowhere("storage"),
        set: () => nowhere("storage"),
        delete: () => nowhere("storage"),
        entries: () => nowhere("storage")
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
        createTopic: (chatId, name, options = {}) => send(chatId, "createForumTopic", { ...options, name }),
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
          at: (where) => storeAt({ chatId: where.chatId, threadId: where.threadId ?? 0 })
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
        emit: (emitted) => emitEvent(emitted)
      }
    }

    return { make } as const
  }),
  dependencies: [PluginStore.Default, PluginEffects.Default, ChatConnections.Default, ChatAdmins.Default]
}) {}
