/**
 * A harness for plugin authors: feed events to one plugin, as if actors had journalled them, and
 * see what it did (its outbox rows, storage, timers, mail to actors, events it emitted). It runs the PluginHost's own
 * delivery (enablement, configuration, context, timeout, commit or retry) on a real, migrated
 * PostgreSQL, without Telegram; the admin check answers from `options.admins`.
 *
 * @example
 * const harness = yield* makeHarness(tally, { config: { label: "posts" } })
 * yield* harness.deliver(groupMessage({ chatId: -1001, threadId: 5, text: "hello" }))
 * expect(yield* harness.storage({ chatId: -1001, threadId: 5 })).toEqual({ count: 1 })
 */
import { randomUUID } from "node:crypto"
import { FetchHttpClient, type HttpClient } from "@effect/platform"
import { SqlClient } from "@effect/sql"
import { Context, Effect, Layer, Queue } from "effect"
import { commandOf } from "../../machines/group.messages.ts"
import type { Author, TopicKind } from "../../machines/index.ts"
import { ChatConnections } from "../../src/plugins/ChatConnections.ts"
import type {
  AnyPlugin,
  Place,
  PluginEmitted,
  PluginEvent,
  PluginEventOf
} from "../../src/plugins/definePlugin.ts"
import type { ConfigObject } from "../../src/plugins/PluginConfig.ts"
import { PluginContexts } from "../../src/plugins/PluginContexts.ts"
import { PluginCommands } from "../../src/plugins/PluginCommands.ts"
import { PluginDelivery, type Settled } from "../../src/plugins/PluginDelivery.ts"
import { PluginDispatch } from "../../src/plugins/PluginDispatch.ts"
import { PluginEffects, pluginKey } from "../../src/plugins/PluginEffects.ts"
import { PluginHostConfig } from "../../src/plugins/PluginHostConfig.ts"
import { PluginJournal, type JournalRow } from "../../src/plugins/PluginJournal.ts"
import { PluginRegistry, type LoadedPlugin } from "../../src/plugins/PluginRegistry.ts"
import { PluginRetries } from "../../src/plugins/PluginRetries.ts"
import { PluginSettings } from "../../src/plugins/PluginSettings.ts"
import { pluginScope, PluginStore, type SearchOptions } from "../../src/plugins/PluginStore.ts"
import { ChatAdmins } from "../../src/telegram/ChatAdmins.ts"
import { BotApi } from "../../src/telegram/BotApi.ts"
import { Connections } from "../../src/telegram/Connections.ts"

export interface HarnessOptions {
  /** The plugin's default configuration, as `plugins.json` would give it. */
  readonly config?: ConfigObject
  /** Whether it is on by default (`plugins.json` `enabled`). */
  readonly enabled?: boolean
  /** The users the admin check accepts, in every group. */
  readonly admins?: ReadonlyArray<number>
  /** The plugin's `ctx.http` (default: the real fetch client). */
  readonly http?: Layer.Layer<HttpClient.HttpClient>
  /** Delivery settings (timeout, attempts, back-off). */
  readonly host?: Partial<PluginHostConfig["Type"]>
  /**
   * The Bot API server of the harness's bot (`harnessBot`, token `harnessToken`), for
   * `ctx.downloadFile`: a server answering `getFile` and `/file/bot<token>/<path>`. Default: none.
   */
  readonly apiRoot?: string
  /**
   * Other plugins installed beside it (never delivered to), for `ctx.storage.read`: each on by
   * default unless `enabled` is false.
   */
  readonly neighbours?: ReadonlyArray<{ readonly plugin: AnyPlugin; readonly enabled?: boolean }>
}

let nextMessageId = 1000

/** The bot connection the harness's events come through. */
export const harnessBot = "bot:7000000001"

/** The token of `harnessBot`. */
export const harnessToken = "7000000001:harness"

/** A `group.messagePosted` event: someone (Bob, by default) wrote `text` in a group (or topic). */
export const groupMessage = (fields: {
  readonly chatId: number
  readonly threadId?: number
  readonly text: string | null
  /** `null`: a post on behalf of the group itself (an anonymous admin). */
  readonly from?: Author | null
  readonly fromAdmin?: boolean
  readonly topicKind?: TopicKind
  readonly messageId?: number
  readonly connection?: string
}): PluginEventOf<"group.messagePosted"> => {
  const messageId = fields.messageId ?? nextMessageId++
  const from = fields.from === undefined ? { id: 12, first_name: "Bob", is_bot: false } : fields.from
  const chat = { id: fields.chatId, type: "supergroup" as const, title: "Team", is_forum: true as const }
  return {
    type: "group.messagePosted",
    connection: fields.connection ?? harnessBot,
    chatId: fields.chatId,
    threadId: fields.threadId ?? 1,
    messageId,
    from,
    text: fields.text,
    topicKind: fields.topicKind ?? ((fields.threadId ?? 1) === 1 ? "general" : "unknown"),
    fromAdmin: fields.fromAdmin ?? false,
    message: {
      message_id: messageId,
      date: 1,
      chat,
      ...(from === null ? { sender_chat: chat } : { from }),
      ...(fields.text === null ? {} : { text: fields.text })
    }
  }
}

/** A `group.commandIssued` event for a `text` starting with a command (`"/remind 5 stand-up"`). */
export const groupCommand = (fields: Parameters<typeof groupMessage>[0] & { readonly text: string }) => {
  const command = commandOf(fields.text)
  if (command === undefined) throw new Error(`"${fields.text}" holds no command`)
  return {
    ...groupMessage(fields),
    type: "group.commandIssued",
    ...command
  } as PluginEventOf<"group.commandIssued">
}

const actorKinds = new Set(["group", "connection", "dialog"])

/** A `group.buttonPressed` event: someone (Bob, by default) pressed a button with `data` under a message. */
export const buttonPress = (fields: {
  readonly chatId: number
  readonly threadId?: number
  readonly data: string | null
  readonly from?: Author
  readonly messageId?: number
}): PluginEventOf<"group.buttonPressed"> => ({
  type: "group.buttonPressed",
  connection: harnessBot,
  chatId: fields.chatId,
  threadId: fields.threadId ?? 1,
  messageId: fields.messageId ?? nextMessageId++,
  callbackId: `cb${nextMessageId++}`,
  from: fields.from ?? { id: 12, first_name: "Bob", is_bot: false },
  data: fields.data
})

/** The actor whose journal an event would be in (a plugin's emitted event: that plugin's). */
const actorKeyOf = (plugin: string, event: PluginEvent) => {
  const namespace = event.type.slice(0, event.type.indexOf("."))
  if (event.type === "timer.fired" || event.type === "delivery.failed") return pluginKey(plugin)
  if (!actorKinds.has(namespace)) return pluginKey(namespace)
  if ("chatId" in event) return `group:${event.chatId}`
  return "connection" in event ? `connection:${event.connection}` : pluginKey(namespace)
}

const harnessLayer = (loaded: LoadedPlugin, options: HarnessOptions) => {
  const admins = new Set(options.admins ?? [])
  const AdminsLive = Layer.succeed(
    ChatAdmins,
    ChatAdmins.make({
      isAdmin: (_connection, _chat, user) => Effect.succeed(admins.has(user)),
      mayBan: (_connection, _chat, user) => Effect.succeed(admins.has(user)),
      forget: () => Effect.void
    })
  )
  const Support = Layer.mergeAll(
    PluginSettings.Default,
    PluginStore.Default,
    PluginEffects.Default,
    PluginJournal.Default,
    PluginRetries.Default,
    ChatConnections.Default,
    PluginCommands.Default,
    AdminsLive,
    Connections.Default,
    BotApi.Default,
    options.http ?? FetchHttpClient.layer
  )
  return PluginDelivery.DefaultWithoutDependencies.pipe(
    Layer.provideMerge(PluginDispatch.DefaultWithoutDependencies),
    Layer.provideMerge(PluginContexts.DefaultWithoutDependencies),
    Layer.provideMerge(Support),
    Layer.provide(
      PluginRegistry.layer([
        loaded,
        ...(options.neighbours ?? []).map((other): LoadedPlugin => ({
          plugin: other.plugin,
          defaults: {},
          enabled: other.enabled ?? true,
          system: false
        }))
      ])
    ),
    Layer.provide(Layer.succeed(PluginHostConfig, { ...PluginHostConfig.defaultValue(), ...options.host }))
  )
}

/** A harness around `plugin`, for the life of the scope; needs a migrated database (`MigratedDatabase`). */
export const makeHarness = (plugin: AnyPlugin, options: HarnessOptions = {}) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const loaded: LoadedPlugin = {
      plugin,
      defaults: options.config ?? {},
      enabled: options.enabled ?? true,
      system: false
    }
    const context = yield* Layer.build(harnessLayer(loaded, options))
    const delivery = Context.get(context, PluginDelivery)
    const retries = Context.get(context, PluginRetries)
    const store = Context.get(context, PluginStore)
    const retry = yield* Queue.sliding<void>(1)
    // Each harness starts the plugin afresh: nothing of an earlier harness's plugin is left.
    const key = pluginKey(plugin.id)
    yield* sql`delete from plugin_state where plugin_id = ${plugin.id}`
    yield* sql`delete from plugin_setting where plugin_id = ${plugin.id}`
    yield* sql`delete from plugin_delivery where plugin_id = ${plugin.id}`
    yield* sql`delete from timer where actor_key = ${key}`
    // The bot the harness's events come through, for calls that name only a chat (a timer's post).
    yield* sql`
      insert into connection (id, kind, token, api_root)
      values (${harnessBot}, 'bot', '7000000001:harness', 'http://127.0.0.1:9') on conflict do nothing`
    yield* sql`update connection set api_root = ${options.apiRoot ?? "http://127.0.0.1:9"} where id = ${harnessBot}`
    const [since] = yield* sql<{ outbox: string; mail: string; journal: string }>`
      select (select coalesce(max(id), 0) from outbox) as outbox, (select coalesce(max(id), 0) from actor_mail) as mail,
        (select coalesce(max(seq), 0) from journal) as journal`

    /** Journals `event` for its actor (or `actorKey`) and delivers it to the plugin, as the host would. */
    const deliver = (event: PluginEvent, actorKey = actorKeyOf(plugin.id, event)): Effect.Effect<Settled> =>
      Effect.gen(function* () {
        const cause = `harness:${randomUUID()}`
        const [row] = yield* sql<{ txid: string; seq: string }>`
          insert into journal (actor_key, cause, ordinal, type, event)
          values (${actorKey}, ${cause}, 0, ${event.type}, ${JSON.stringify(event)}::jsonb)
          returning txid::text as txid, seq`
        const journalled: JournalRow = {
          txid: row!.txid,
          seq: Number(row!.seq),
          actorKey,
          cause,
          type: event.type,
          chatId: "chatId" in event && typeof event.chatId === "number" ? event.chatId : null,
          event: { ...event }
        }
        return yield* delivery.fromJournal(
          loaded,
          journalled,
          yield* retries.holds(plugin.id, actorKey),
          retry
        )
      }).pipe(Effect.orDie)

    /** Fires the plugin's timer `name` now: it is removed and `timer.fired` is delivered. */
    const fire = (name: string) =>
      Effect.gen(function* () {
        const [timer] = yield* sql<{ event: { type: string } }>`
          delete from timer where actor_key = ${pluginKey(plugin.id)} and name = ${name} returning event`
        if (timer === undefined) return yield* Effect.dieMessage(`the plugin has no timer "${name}"`)
        return yield* deliver({ type: "timer.fired", name, event: timer.event })
      }).pipe(Effect.orDie)

    /** The Bot API calls the plugin queued, oldest first. */
    const outbox = sql<{ method: string; chat_id: string; params: Record<string, unknown> }>`
      select method, chat_id, params from outbox where actor_key = ${key} and id > ${since!.outbox} order by id`.pipe(
      Effect.map((rows) =>
        rows.map((row) => ({ method: row.method, chatId: Number(row.chat_id), params: row.params }))
      ),
      Effect.orDie
    )

    /** The plugin's storage in a group, a topic, or (no place) its own. */
    const storage = (place?: Place) =>
      Effect.map(
        store.entries(
          plugin.id,
          place === undefined ? pluginScope : { chatId: place.chatId, threadId: place.threadId ?? 0 }
        ),
        (entries) => Object.fromEntries(entries)
      )

    /** The plugin's pending timers, by name. */
    const timers = sql<{ name: string; event: unknown; due_in_ms: number }>`
      select name, event, (extract(epoch from (due_at - now())) * 1000)::float8 as due_in_ms from timer
      where actor_key = ${pluginKey(plugin.id)} order by name`.pipe(
      Effect.map((rows) => rows.map((row) => ({ name: row.name, event: row.event, dueInMs: row.due_in_ms }))),
      Effect.orDie
    )

    /** The commands the plugin mailed to actors. */
    const mail = sql<{ actor_key: string; event: unknown }>`
      select actor_key, event from actor_mail where source = ${key} and id > ${since!.mail} order by id`.pipe(
      Effect.map((rows) => rows.map((row) => ({ actorKey: row.actor_key, event: row.event }))),
      Effect.orDie
    )

    /** The events the plugin emitted (`ctx.emit`), oldest first. */
    const emitted = sql<{ event: PluginEmitted }>`
      select event from journal where actor_key = ${key} and seq > ${since!.journal}
        and type not in ('timer.fired', 'delivery.failed') order by seq`.pipe(
      Effect.map((rows) => rows.map((row) => row.event)),
      Effect.orDie
    )

    /**
     * Plays Telegram for the plugin's queued `sendMessage` calls: marks them sent, each with a new
     * message id (from 50000 up), as the Sender would, so `ctx.sentMessages` finds them; answers the ids.
     */
    const sendQueued = sql<{ message_id: string }>`
      update outbox set status = 'sent', sent_at = now(),
        result = jsonb_build_object('message_id', 50000 + id, 'chat', jsonb_build_object('id', chat_id))
      where actor_key = ${key} and id > ${since!.outbox} and status = 'pending' and method = 'sendMessage'
      returning (50000 + id)::text as message_id`.pipe(
      Effect.map((rows) => rows.map((row) => Number(row.message_id)).sort((a, b) => a - b)),
      Effect.orDie
    )

    /** Full-text search of the plugin's values in a group, a topic or (no place) its own, as `Store.search`. */
    const search = (place: Place | undefined, query: string, searchOptions?: SearchOptions) =>
      store.search(
        plugin.id,
        place === undefined ? pluginScope : { chatId: place.chatId, threadId: place.threadId ?? 0 },
        query,
        searchOptions
      )

    return {
      deliver,
      fire,
      outbox,
      storage,
      timers,
      mail,
      emitted,
      sendQueued,
      search,
      settings: Context.get(context, PluginSettings),
      retries
    } as const
  }).pipe(Effect.orDie)
