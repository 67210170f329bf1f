import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { journalChannel } from "../actors/Timers.ts"
import { noticesPluginId } from "../workspace/NoticeEvents.ts"
import { adminPluginId } from "./AdminCommandParse.ts"
import { pluginKey } from "./PluginEffects.ts"
import type { JournalRow, Position } from "./PluginJournal.ts"

/** A delivery that failed, or waits behind one of the same actor: retried until it succeeds or dies. */
export interface Parked extends Position {
  readonly id: number
  readonly plugin: string
  readonly actorKey: string
  readonly attempts: number
  readonly notBefore: Date
  readonly error: string | null
}

/** A delivery given up on, as admins see it. */
export interface DeadLetter {
  readonly id: number
  readonly actorKey: string
  readonly seq: number
  readonly type: string
  readonly attempts: number
  readonly error: string
  readonly failedAt: Date
}

interface Raw {
  readonly id: string
  readonly plugin_id: string
  readonly actor_key: string
  readonly txid: string
  readonly seq: string
  readonly attempts: number
  readonly not_before: Date
  readonly error: string | null
}

const fromRaw = (raw: Raw): Parked => ({
  id: Number(raw.id),
  plugin: raw.plugin_id,
  actorKey: raw.actor_key,
  txid: raw.txid,
  seq: Number(raw.seq),
  attempts: raw.attempts,
  notBefore: raw.not_before,
  error: raw.error
})

/**
 * Deliveries the cursor left behind (`plugin_delivery`). A failed delivery is parked with its
 * error and the time of its next attempt; later rows of the same actor are parked behind it, so
 * the plugin still sees that actor's events in order. After the last attempt a row is `dead`:
 * listed for admins, no longer holding its actor back, and retried only when an admin asks.
 */
export class PluginRetries extends Effect.Service<PluginRetries>()("app/PluginRetries", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const columns = sql`id, plugin_id, actor_key, txid::text as txid, seq, attempts, not_before, error`

    /**
     * Journals `plugin-admin.deadLettered` for a delivery given up on, so the system notices post it
     * in General (not for the notices' own: a failing notice must not feed itself).
     */
    const announceDead = (plugin: string, seq: number, attempts: number, error: string) =>
      plugin === noticesPluginId
        ? Effect.void
        : sql`
            insert into journal (actor_key, cause, ordinal, type, event)
            select ${pluginKey(adminPluginId)}, ${`dead:${plugin}/${seq}/${attempts}`}, 0, 'plugin-admin.deadLettered',
              jsonb_build_object('type', 'plugin-admin.deadLettered', 'plugin', ${plugin}::text,
                'eventType', coalesce(j.type, '(gone from the journal)'), 'attempts', ${attempts}::int,
                'error', ${error}::text, 'groupId', coalesce((j.event->>'chatId')::bigint, (j.event->>'chat_id')::bigint,
                  case when j.actor_key like 'group:%' then substring(j.actor_key from 7)::bigint end))
            from (select 1) as one left join journal j on j.seq = ${seq}
            on conflict do nothing`.pipe(
            Effect.zipRight(sql`select pg_notify(${journalChannel}, ${pluginKey(adminPluginId)})`),
            Effect.asVoid
          )

    /**
     * Parks `row` (inside the delivery's transaction): `attempts` 0 for a row only waiting its turn,
     * `dead` for a row that failed its last attempt.
     */
    const park = (
      plugin: string,
      row: JournalRow,
      attempts: number,
      error: string | null,
      notBefore: Date,
      dead: boolean
    ) =>
      sql`
        insert into plugin_delivery (plugin_id, actor_key, txid, seq, attempts, error, not_before, status)
        values (${plugin}, ${row.actorKey}, ${row.txid}::xid8, ${row.seq}, ${attempts}, ${error}, ${notBefore},
          ${dead ? "dead" : "pending"})
        on conflict (plugin_id, seq) do nothing`.pipe(
        Effect.zipRight(dead ? announceDead(plugin, row.seq, attempts, error ?? "") : Effect.void),
        Effect.asVoid
      )

    /** Whether the plugin holds rows of `actorKey` back (its next row must be parked behind them). */
    const holds = (plugin: string, actorKey: string) =>
      sql<{ held: boolean }>`
        select exists (select 1 from plugin_delivery
          where plugin_id = ${plugin} and actor_key = ${actorKey} and status = 'pending') as held`.pipe(
        Effect.map((rows) => rows[0]?.held === true),
        Effect.orDie
      )

    /** The first pending row of each actor the plugin holds back. */
    const heads = (plugin: string) =>
      sql<Raw>`
        select distinct on (actor_key) ${columns} from plugin_delivery
        where plugin_id = ${plugin} and status = 'pending'
        order by plugin_delivery.actor_key, plugin_delivery.txid, plugin_delivery.seq`.pipe(
        Effect.map((rows) => rows.map(fromRaw)),
        Effect.orDie
      )

    /** Removes a row that was delivered at last (inside the delivery's transaction). */
    const delivered = (id: number) => sql`delete from plugin_delivery where id = ${id}`.pipe(Effect.asVoid)

    /** Records another failed attempt: the next one at `notBefore`, or, when `dead`, none. */
    const failed = (id: number, attempts: number, error: string, notBefore: Date, dead: boolean) =>
      sql`
        update plugin_delivery set attempts = ${attempts}, error = ${error}, not_before = ${notBefore},
          status = ${dead ? "dead" : "pending"}, updated_at = now()
        where id = ${id} returning plugin_id, seq`.pipe(
        Effect.flatMap((rows) => {
          const row = rows[0] as { plugin_id: string; seq: string } | undefined
          return dead && row !== undefined
            ? announceDead(row.plugin_id, Number(row.seq), attempts, error)
            : Effect.void
        }),
        Effect.asVoid,
        Effect.orDie
      )

    /**
     * The plugin's dead deliveries, newest first: what `/plugin errors <id>` lists. With `chatId`,
     * only those of events in that chat (of its group actor, or naming it).
     */
    const deadLetters = Effect.fn("PluginRetries.deadLetters")(function* (
      plugin: string,
      limit = 20,
      chatId?: number
    ) {
      const inChat =
        chatId === undefined
          ? sql``
          : sql`and (d.actor_key = ${`group:${chatId}`} or j.event->>'chatId' = ${String(chatId)}
              or j.event->>'chat_id' = ${String(chatId)})`
      const rows = yield* sql<{
        id: string
        actor_key: string
        seq: string
        type: string | null
        attempts: number
        error: string | null
        updated_at: Date
      }>`
        select d.id, d.actor_key, d.seq, j.type, d.attempts, d.error, d.updated_at
        from plugin_delivery d left join journal j on j.seq = d.seq
        where d.plugin_id = ${plugin} and d.status = 'dead' ${inChat} order by d.updated_at desc, d.id desc limit ${limit}`.pipe(
        Effect.orDie
      )
      return rows.map((row): DeadLetter => ({
        id: Number(row.id),
        actorKey: row.actor_key,
        seq: Number(row.seq),
        type: row.type ?? "(gone from the journal)",
        attempts: row.attempts,
        error: row.error ?? "",
        failedAt: row.updated_at
      }))
    })

    /**
     * Gives dead deliveries (all of the plugin's, or those in `ids`) a fresh series of attempts,
     * starting now; answers how many.
     */
    const retry = Effect.fn("PluginRetries.retry")(function* (plugin: string, ids?: ReadonlyArray<number>) {
      if (ids !== undefined && ids.length === 0) return 0
      const rows = yield* sql<{ id: string }>`
        update plugin_delivery set status = 'pending', attempts = 0, not_before = now(), updated_at = now()
        where plugin_id = ${plugin} and status = 'dead'
          ${ids === undefined ? sql`` : sql`and id in ${sql.in(ids)}`}
        returning id`.pipe(Effect.orDie)
      return rows.length
    })

    return { park, holds, heads, delivered, failed, deadLetters, retry } as const
  })
}) {}
