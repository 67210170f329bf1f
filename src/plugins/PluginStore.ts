import { SqlClient } from "@effect/sql"
import { Effect, Option } from "effect"

/** Where a value is kept: a topic, a whole group (`threadId` 0), or the plugin itself (both 0). */
export interface StoreScope {
  readonly chatId: number
  readonly threadId: number
}

/** What `search` may narrow to: values whose `tags` hold every one of `tags`, keys starting with `prefix`. */
export interface SearchOptions {
  /** Only values whose `tags` array holds all of these (compared as given; store them lower-case). */
  readonly tags?: ReadonlyArray<string>
  /** Only keys starting with this (`"entry:"`). */
  readonly prefix?: string
  /** At most this many (default 10, at most 100). */
  readonly limit?: number
}

/** One value `search` found, best first: `rank` is PostgreSQL's `ts_rank_cd` (0 for a tag-only search). */
export interface SearchHit {
  readonly key: string
  readonly value: unknown
  readonly rank: number
}

/** A message Telegram accepted from one of the plugin's `sendMessage` calls. */
export interface SentMessage {
  readonly messageId: number
  /** The text sent. */
  readonly text: string | null
  readonly sentAt: Date
}

/** The words of a query for the any-word pass: no quotes, no `-excluded` words, no `or`. */
const anyWordQuery = (query: string) =>
  query
    .replace(/"/g, " ")
    .split(/\s+/)
    .filter((word) => word !== "" && !word.startsWith("-") && word.toLowerCase() !== "or")
    .join(" or ")

/** The plugin's own scope, in no group. */
export const pluginScope: StoreScope = { chatId: 0, threadId: 0 }

/**
 * Plugins' key-value state (`plugin_state`): JSON values by plugin, scope and key. Writes are meant
 * to run inside the transaction that settles a delivery, with the handler's other effects.
 */
export class PluginStore extends Effect.Service<PluginStore>()("app/PluginStore", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const get = Effect.fn("PluginStore.get")(function* (plugin: string, scope: StoreScope, key: string) {
      const rows = yield* sql<{ value: unknown }>`
        select value from plugin_state
        where plugin_id = ${plugin} and chat_id = ${scope.chatId} and thread_id = ${scope.threadId} and key = ${key}`.pipe(
        Effect.orDie
      )
      return Option.map(Option.fromNullable(rows[0]), (row) => row.value)
    })

    const entries = Effect.fn("PluginStore.entries")(function* (plugin: string, scope: StoreScope) {
      const rows = yield* sql<{ key: string; value: unknown }>`
        select key, value from plugin_state
        where plugin_id = ${plugin} and chat_id = ${scope.chatId} and thread_id = ${scope.threadId}
        order by key`.pipe(Effect.orDie)
      return rows.map((row) => [row.key, row.value] as const)
    })

    const set = (plugin: string, scope: StoreScope, key: string, value: unknown) =>
      sql`
        insert into plugin_state (plugin_id, chat_id, thread_id, key, value)
        values (${plugin}, ${scope.chatId}, ${scope.threadId}, ${key}, ${JSON.stringify(value)}::jsonb)
        on conflict (plugin_id, chat_id, thread_id, key) do update set value = excluded.value, updated_at = now()`.pipe(
        Effect.asVoid,
        Effect.orDie
      )

    const remove = (plugin: string, scope: StoreScope, key: string) =>
      sql`
        delete from plugin_state
        where plugin_id = ${plugin} and chat_id = ${scope.chatId} and thread_id = ${scope.threadId} and key = ${key}`.pipe(
        Effect.asVoid,
        Effect.orDie
      )

    /**
     * Full-text search over the values in one scope (see migration 0009: `title` and `tags` weigh
     * most, then `text`, `english` configuration). `query` is web-search syntax (`"exact phrase"`,
     * `-excluded`, `or`). Values holding every word come first; then values holding some, so a
     * query with one word too many still finds something. Each group by `ts_rank_cd` (normalised by
     * length), then newest. An empty query with `tags` lists the tagged values, newest first.
     */
    const search = Effect.fn("PluginStore.search")(function* (
      plugin: string,
      scope: StoreScope,
      query: string,
      options: SearchOptions = {}
    ) {
      const limit = Math.max(1, Math.min(100, Math.floor(options.limit ?? 10)))
      const tags = options.tags ?? []
      const where = sql`plugin_id = ${plugin} and chat_id = ${scope.chatId} and thread_id = ${scope.threadId}
        and ${options.prefix === undefined ? sql`true` : sql`starts_with(key, ${options.prefix})`}
        and ${tags.length === 0 ? sql`true` : sql`value -> 'tags' @> ${JSON.stringify(tags)}::jsonb`}`
      if (query.trim() === "") {
        if (tags.length === 0) return []
        const rows = yield* sql<{ key: string; value: unknown }>`
          select key, value from plugin_state where ${where}
          order by updated_at desc, key limit ${limit}`.pipe(Effect.orDie)
        return rows.map((row): SearchHit => ({ key: row.key, value: row.value, rank: 0 }))
      }
      const negated = /(^|\s)-\S/.test(query)
      const rows = yield* sql<{ key: string; value: unknown; rank: number }>`
        with q as (
          select websearch_to_tsquery('english', ${query}) as every,
            websearch_to_tsquery('english', ${anyWordQuery(query)}) as some
        )
        select key, value, ts_rank_cd(search, case when search @@ q.every then q.every else q.some end, 1)::float8 as rank,
          search @@ q.every as all_words
        from plugin_state, q
        where ${where} and (search @@ q.every or (${!negated} and search @@ q.some))
        order by all_words desc, rank desc, updated_at desc, key limit ${limit}`.pipe(Effect.orDie)
      return rows.map((row): SearchHit => ({ key: row.key, value: row.value, rank: row.rank }))
    })

    /**
     * The messages Telegram accepted from the plugin's `sendMessage` calls in a chat (or one topic of
     * it: thread 1 is General), newest first. A call still queued is not among them yet.
     */
    const sentMessages = Effect.fn("PluginStore.sentMessages")(function* (
      plugin: string,
      chatId: number,
      threadId: number | undefined,
      limit: number | undefined
    ) {
      const topic =
        threadId === undefined
          ? sql`true`
          : threadId === 1
            ? sql`params ->> 'message_thread_id' is null`
            : sql`params ->> 'message_thread_id' = ${String(threadId)}`
      const rows = yield* sql<{ message_id: string | null; text: string | null; sent_at: Date }>`
        select result ->> 'message_id' as message_id, params ->> 'text' as text, sent_at from outbox
        where actor_key = ${`plugin:${plugin}`} and chat_id = ${chatId} and method = 'sendMessage'
          and status = 'sent' and ${topic}
        order by id desc limit ${Math.max(1, Math.min(100, limit ?? 10))}`.pipe(Effect.orDie)
      return rows.flatMap((row): Array<SentMessage> =>
        row.message_id === null
          ? []
          : [{ messageId: Number(row.message_id), text: row.text, sentAt: row.sent_at }]
      )
    })

    return { get, entries, set, remove, search, sentMessages } as const
  })
}) {}
