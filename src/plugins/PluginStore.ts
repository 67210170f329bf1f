import { SqlClient } from "@effect/sql"
import { Effect, Option } from "effect"

/** Where a value is kept: a topic, a whole group (`threadId` 0), or the plugin itself (both 0). */
export interface StoreScope {
  readonly chatId: number
  readonly threadId: number
}

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

    return { get, entries, set, remove } as const
  })
}) {}
