import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { journalWindow } from "./JournalWindow.ts"

/**
 * A place in the journal: the appending transaction's id (`xid8`, read as text, so compare it as a
 * number) and the row's `seq`.
 */
export interface Position {
  readonly txid: string
  readonly seq: number
}

/** One journal row, as plugins read it. */
export interface JournalRow extends Position {
  readonly actorKey: string
  readonly cause: string
  readonly type: string
  /** The event's `chatId` when it names one (a group), without reading the whole event. */
  readonly chatId: number | null
  /** Parsed from the stored JSON when first read: most readers pass most rows by type alone. */
  readonly event: Readonly<Record<string, unknown>>
}

/** Whether `a` comes before `b` in the journal's reading order. */
export const before = (a: Position, b: Position) => {
  const ta = BigInt(a.txid)
  const tb = BigInt(b.txid)
  return ta < tb || (ta === tb && a.seq < b.seq)
}

interface Raw {
  readonly txid: string
  readonly seq: string
  readonly actor_key: string
  readonly cause: string
  readonly type: string
  readonly chat_id: string | null
  /** The event as JSON text (`event::text`), parsed only when read. */
  readonly event: string
}

const fromRaw = (raw: Raw): JournalRow => {
  let event: Readonly<Record<string, unknown>> | undefined
  return {
    txid: raw.txid,
    seq: Number(raw.seq),
    actorKey: raw.actor_key,
    cause: raw.cause,
    type: raw.type,
    chatId: raw.chat_id === null ? null : Number(raw.chat_id),
    get event() {
      return (event ??= JSON.parse(raw.event) as Readonly<Record<string, unknown>>)
    }
  }
}

/** The columns of a journal row as `fromRaw` reads them. */
const rowColumns = `txid::text as txid, seq, actor_key, cause, type, event::text as event,
  case when jsonb_typeof(event -> 'chatId') = 'number' then (event ->> 'chatId')::numeric::text end as chat_id`

/** The cursor row of a plugin; the other rows of `plugin_cursor` are its actors' progress. */
const CURSOR = ""

/**
 * The journal as plugins read it, in (txid, seq) order and only below the oldest transaction
 * running in this database (`commit_horizon()`), so no row can still appear behind a position
 * once read. Each plugin has a durable cursor, and per actor the position of the last row it
 * settled past the cursor.
 */
export class PluginJournal extends Effect.Service<PluginJournal>()("app/PluginJournal", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    /**
     * The plugin's cursor and its actors' progress. A plugin seen for the first time starts at the
     * journal's present: it receives what happens from now on, not the history.
     */
    const open = Effect.fn("PluginJournal.open")(function* (plugin: string) {
      yield* sql`
        insert into plugin_cursor (plugin_id, actor_key, txid, seq)
        values (${plugin}, ${CURSOR}, commit_horizon(), 0)
        on conflict do nothing`
      const rows = yield* sql<{ actor_key: string; txid: string; seq: string }>`
        select actor_key, txid::text as txid, seq from plugin_cursor where plugin_id = ${plugin}`
      const progress = new Map<string, Position>()
      let cursor: Position = { txid: "0", seq: 0 }
      for (const row of rows) {
        const position = { txid: row.txid, seq: Number(row.seq) }
        if (row.actor_key === CURSOR) cursor = position
        else progress.set(row.actor_key, position)
      }
      return { cursor, progress }
    }, Effect.orDie)

    const fetch = (after: Position, limit: number) =>
      sql<Raw>`
        select ${sql.literal(rowColumns)} from journal
        where (txid, seq) > (${after.txid}::xid8, ${after.seq})
          and txid < (select commit_horizon())
        order by journal.txid, journal.seq limit ${limit}`.pipe(
        Effect.map((rows) => rows.map(fromRaw)),
        Effect.orDie
      )
    // The readers of this process (each plugin, the webhook reader) share the newest rows.
    const window = journalWindow({ fetch, capacity: 5_000, batch: 500 })

    /** Up to `limit` rows after `after`, oldest first. */
    const read = (after: Position, limit: number) => window.read(after, limit)

    /** One row, by `seq`. */
    const row = (seq: number) =>
      sql<Raw>`select ${sql.literal(rowColumns)} from journal where seq = ${seq}`.pipe(
        Effect.map((rows) => rows.map(fromRaw)[0]),
        Effect.orDie
      )

    /** Records that the plugin settled `actorKey`'s rows up to `position` (inside the delivery's transaction). */
    const progressed = (plugin: string, actorKey: string, position: Position) =>
      sql`
        insert into plugin_cursor (plugin_id, actor_key, txid, seq)
        values (${plugin}, ${actorKey}, ${position.txid}::xid8, ${position.seq})
        on conflict (plugin_id, actor_key) do update
          set txid = excluded.txid, seq = excluded.seq, updated_at = now()`.pipe(Effect.asVoid)

    /**
     * Moves the cursor to `position` and drops the actors' progress it has passed, in one statement
     * (atomic on its own): a save is one round trip, and each plugin saves several times a second.
     */
    const advance = (plugin: string, position: Position) =>
      sql`
        with moved as (
          update plugin_cursor set txid = ${position.txid}::xid8, seq = ${position.seq}, updated_at = now()
          where plugin_id = ${plugin} and actor_key = ${CURSOR}
        )
        delete from plugin_cursor where plugin_id = ${plugin} and actor_key <> ${CURSOR}
          and (txid, seq) <= (${position.txid}::xid8, ${position.seq})`.pipe(Effect.asVoid, Effect.orDie)

    return { open, read, row, progressed, advance } as const
  })
}) {}
