import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { mailChannel } from "../actors/Mailbox.ts"
import { journalChannel } from "../actors/Timers.ts"
import { ConnectionId } from "../domain/Ids.ts"
import { mappingsOf } from "./MessageMap.ts"

/** A Bot API call someone decided to make: `method` with `params` as a connection's bot, in `chatId`. */
export interface OutboxEntry {
  readonly connection: ConnectionId
  readonly chatId: number
  readonly method: string
  readonly params: Readonly<Record<string, unknown>>
  /** The actor that decided the call; a `delivery.failed` event goes to its journal. */
  readonly actorKey?: string
  readonly cause?: string
  /** The event type the call's result is mailed back to `actorKey` as (see `OutboxSend.replyAs`). */
  readonly replyAs?: string
  /** Whether a refusal is mailed back to `actorKey` as `delivery.failed` (implied by `replyAs`). */
  readonly reportFailure?: boolean
}

/** A pending row as the Sender sees it. */
export interface OutboxRow {
  readonly id: number
  readonly connection: ConnectionId
  readonly chatId: number
  readonly method: string
  readonly params: Readonly<Record<string, unknown>>
  /** The forum topic the call goes to (`params ->> 'message_thread_id'`), `null` for none: part of its lane. */
  readonly topic: string | null
  readonly actorKey: string | null
  /** The event type the result is mailed back to `actorKey` as, if it asked. */
  readonly replyAs: string | null
  readonly reportFailure: boolean
  readonly attempts: number
  /** Not to be sent before (after a 429 or a transient failure). */
  readonly notBefore: Date | null
  /** The transaction that added the row (`xid8` as text): with `id`, the order the Sender reads rows in. */
  readonly txid: string
}

/** A place in the order the Sender reads the outbox in: (txid, id). */
export interface OutboxPosition {
  readonly txid: string
  readonly id: number
}

/** Whether `a` comes before `b` in the Sender's reading order. */
export const comesBefore = (a: OutboxPosition, b: OutboxPosition): boolean => {
  if (a.txid !== b.txid) return BigInt(a.txid) < BigInt(b.txid)
  return a.id < b.id
}

/** What the `delivery.failed` journal event (and mail, for an actor that asked) says. */
export interface DeliveryFailed {
  readonly type: "delivery.failed"
  readonly outbox_id: number
  readonly connection_id: string
  readonly chat_id: number
  readonly method: string
  readonly code: number
  readonly description: string
}

interface Raw {
  readonly id: string
  readonly connection_id: string
  readonly chat_id: string
  readonly method: string
  readonly params: Record<string, unknown>
  readonly topic: string | null
  readonly actor_key: string | null
  readonly reply_as: string | null
  readonly report_failure: boolean
  readonly attempts: number
  readonly not_before: Date | null
  readonly txid: string
}

const fromRaw = (raw: Raw): OutboxRow => ({
  id: Number(raw.id),
  connection: ConnectionId.make(raw.connection_id),
  chatId: Number(raw.chat_id),
  method: raw.method,
  params: raw.params,
  topic: raw.topic,
  actorKey: raw.actor_key,
  replyAs: raw.reply_as,
  reportFailure: raw.report_failure,
  attempts: raw.attempts,
  notBefore: raw.not_before,
  txid: raw.txid
})

/** A call's forum topic as the Sender's lane key holds it: `params ->> 'message_thread_id'`. */
export const topicOf = (params: Readonly<Record<string, unknown>>): string | null => {
  const thread = params["message_thread_id"]
  if (thread === undefined || thread === null) return null
  return typeof thread === "string" ? thread : JSON.stringify(thread)
}

/** The pending row an entry became, with the id and transaction the table gave it. */
export const rowOfEntry = (entry: OutboxEntry, id: number, txid: string): OutboxRow => ({
  id,
  connection: entry.connection,
  chatId: entry.chatId,
  method: entry.method,
  params: entry.params,
  topic: topicOf(entry.params),
  actorKey: entry.actorKey ?? null,
  replyAs: entry.replyAs ?? null,
  reportFailure: entry.reportFailure === true,
  attempts: 0,
  notBefore: null,
  txid
})

/** The channel `enqueue` notifies; the payload must not be empty (`PgClient.listen` drops empty ones). */
export const outboxChannel = "outbox"

/** An entry as the columns of its `outbox` row (`params` as JSON, not yet a string). */
export const outboxColumns = (entry: OutboxEntry) => ({
  connection_id: entry.connection,
  chat_id: entry.chatId,
  method: entry.method,
  params: entry.params,
  actor_key: entry.actorKey ?? null,
  cause: entry.cause ?? null,
  reply_as: entry.replyAs ?? null,
  report_failure: entry.reportFailure === true
})

/**
 * The `outbox` table: calls waiting for the Sender, one FIFO lane per (connection, chat, forum
 * topic: `params.message_thread_id`, none for calls outside topics). Rows
 * go `pending` → `sent` (with `result`, and the message id in `message_map`) or `failed`.
 */
export class Outbox extends Effect.Service<Outbox>()("app/Outbox", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const columns = sql`id, connection_id, chat_id, method, params, params ->> 'message_thread_id' as topic,
      actor_key, reply_as, report_failure, attempts, not_before, txid::text as txid`
    const rows = (effect: Effect.Effect<ReadonlyArray<Raw>, unknown>) =>
      effect.pipe(
        Effect.map((found) => found.map(fromRaw)),
        Effect.orDie
      )
    /** Adds calls and wakes the Sender (at commit, when inside a transaction); answers their ids. */
    const enqueue = Effect.fnUntraced(function* (entries: ReadonlyArray<OutboxEntry>) {
      if (entries.length === 0) return []
      const inserted = yield* sql<{ id: string }>`insert into outbox ${sql.insert(
        entries.map((entry) => ({ ...outboxColumns(entry), params: JSON.stringify(entry.params) }))
      )} returning id`.pipe(Effect.orDie)
      yield* sql`select pg_notify(${outboxChannel}, ${entries[0]!.connection})`.pipe(Effect.orDie)
      return inserted.map((row) => Number(row.id))
    })

    /** The oldest pending row of every lane. */
    const heads = rows(sql<Raw>`
      select distinct on (connection_id, chat_id, params ->> 'message_thread_id') ${columns} from outbox
      where status = 'pending' order by connection_id, chat_id, params ->> 'message_thread_id', id`)

    /**
     * Pending rows after `after` in (txid, id) order, at most `limit`, and only rows of transactions
     * older than any still running in this database (`commit_horizon()`): a row not read yet can
     * then only come after the last one read.
     */
    const pendingAfter = (after: OutboxPosition, limit: number) =>
      rows(sql<Raw>`
        select ${columns} from outbox
        where status = 'pending' and (txid, id) > (${after.txid}::xid8, ${after.id})
          and txid < (select commit_horizon())
        order by txid, id limit ${limit}`)

    /** The ids of the pending rows `pendingAfter` can read (of transactions below the commit horizon). */
    const pendingIds = sql<{ id: string }>`
      select id from outbox where status = 'pending' and txid < (select commit_horizon())`.pipe(
      Effect.map((found) => found.map((row) => Number(row.id))),
      Effect.orDie
    )

    /** The rows among `ids` still pending, in id order. */
    const pendingOf = (ids: ReadonlyArray<number>) =>
      ids.length === 0
        ? Effect.succeed([])
        : rows(
            sql<Raw>`select ${columns} from outbox where id in ${sql.in(ids)} and status = 'pending' order by id`
          )

    // For a row whose actor asked for the outcome: the mail carrying it.
    const wants = (row: OutboxRow, outcome: "sent" | "failed") =>
      row.actorKey !== null && (row.replyAs !== null || (outcome === "failed" && row.reportFailure))
    const notifyReplies = (keys: ReadonlyArray<string>) =>
      Effect.forEach(
        new Set(keys),
        (key) => sql`select pg_notify(${mailChannel}, ${key})`.pipe(Effect.orDie),
        { discard: true }
      )

    /**
     * Marks rows sent with Telegram's results, in one statement: each row's result, the messages
     * it produced (in `message_map`), and for a row whose actor asked, the result mailed back.
     */
    const sentAll = (done: ReadonlyArray<{ readonly row: OutboxRow; readonly result: unknown }>) =>
      Effect.gen(function* () {
        if (done.length === 0) return
        const results = done.map(({ row, result }) => ({ id: row.id, result: result ?? null }))
        const mapped = done.flatMap(({ row, result }) =>
          mappingsOf(row.method, row.params, result).map((mapping) => ({
            outbox_id: row.id,
            connection_id: row.connection,
            chat_id: row.chatId,
            message_id: mapping.messageId,
            source_chat_id: mapping.sourceChatId,
            source_message_id: mapping.sourceMessageId
          }))
        )
        const replies = done.flatMap(({ row, result }) =>
          wants(row, "sent")
            ? [
                {
                  actor_key: row.actorKey!,
                  source: `outbox:${row.id}`,
                  event: {
                    type: row.replyAs,
                    outboxId: row.id,
                    messageId: mappingsOf(row.method, row.params, result)[0]?.messageId ?? null,
                    result: result ?? null
                  }
                }
              ]
            : []
        )
        // One statement (`record_sent`, migration 0015), which also notifies the mail channel.
        yield* sql`select record_sent(${JSON.stringify(results)}::jsonb, ${JSON.stringify(mapped)}::jsonb,
          ${JSON.stringify(replies)}::jsonb)`.pipe(Effect.orDie)
      })

    /** Marks `row` sent with Telegram's result (see `sentAll`). */
    const sent = (row: OutboxRow, result: unknown) => sentAll([{ row, result }])

    /**
     * Marks `row` failed with Telegram's description and, in the same statement, appends a
     * `delivery.failed` event to the journal of the row's actor (or of its connection's actor).
     */
    const failed = (row: OutboxRow, code: number, description: string) => {
      const event: DeliveryFailed = {
        type: "delivery.failed",
        outbox_id: row.id,
        connection_id: row.connection,
        chat_id: row.chatId,
        method: row.method,
        code,
        description
      }
      const mailed = wants(row, "failed")
      const reply = { ...event, params: { chat_id: row.chatId, ...row.params } }
      return Effect.gen(function* () {
        yield* sql`
          with replied as (
            ${
              mailed
                ? sql`insert into actor_mail (actor_key, source, event)
                    values (${row.actorKey}, ${`outbox:${row.id}`}, ${JSON.stringify(reply)}::jsonb)`
                : sql`select 1`
            }
          ), done as (
            update outbox set status = 'failed', error = ${description}, attempts = attempts + 1 where id = ${row.id}
          ), logged as (
            insert into journal (actor_key, cause, ordinal, type, event)
            values (${row.actorKey ?? `connection:${row.connection}`}, ${`outbox:${row.id}`}, 0, 'delivery.failed',
              ${JSON.stringify(event)}::jsonb)
            on conflict do nothing
          )
          select 1`.pipe(Effect.orDie)
        if (mailed) yield* notifyReplies([row.actorKey!])
        yield* sql`select pg_notify(${journalChannel}, ${row.connection})`.pipe(Effect.orDie)
      })
    }

    /** Leaves `row` pending until `notBefore`, noting why (and counting the attempt, unless a 429). */
    const postpone = (row: OutboxRow, notBefore: Date, error: string, countAttempt: boolean) =>
      sql`
        update outbox set not_before = ${notBefore}, error = ${error},
          attempts = attempts + ${countAttempt ? 1 : 0}
        where id = ${row.id}`.pipe(Effect.asVoid, Effect.orDie)

    return { enqueue, heads, pendingAfter, pendingIds, pendingOf, sent, sentAll, failed, postpone } as const
  })
}) {}
