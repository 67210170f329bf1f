import { SqlClient } from "@effect/sql"
import { Effect, Option } from "effect"
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
  notBefore: raw.not_before
})

/** The channel `enqueue` notifies; the payload must not be empty (`PgClient.listen` drops empty ones). */
export const outboxChannel = "outbox"

/**
 * The `outbox` table: calls waiting for the Sender, one FIFO lane per (connection, chat, forum
 * topic: `params.message_thread_id`, none for calls outside topics). Rows
 * go `pending` → `sent` (with `result`, and the message id in `message_map`) or `failed`.
 */
export class Outbox extends Effect.Service<Outbox>()("app/Outbox", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const columns = sql`id, connection_id, chat_id, method, params, params ->> 'message_thread_id' as topic,
      actor_key, reply_as, report_failure, attempts, not_before`
    // A lane's topic, as the index on pending rows (`outbox_pending_topic_idx`) has it.
    const inTopic = (topic: string | null) =>
      topic === null
        ? sql`params ->> 'message_thread_id' is null`
        : sql`params ->> 'message_thread_id' = ${topic}`
    const rows = (effect: Effect.Effect<ReadonlyArray<Raw>, unknown>) =>
      effect.pipe(
        Effect.map((found) => found.map(fromRaw)),
        Effect.orDie
      )
    // A lane's next row, in the same statement as settling `id` (whose row that snapshot still shows pending).
    const nextAfter = (row: OutboxRow) => sql<Raw>`
      select ${columns} from outbox
      where connection_id = ${row.connection} and chat_id = ${row.chatId} and ${inTopic(row.topic)}
        and status = 'pending' and id <> ${row.id}
      order by id limit 1`

    /** Adds calls and wakes the Sender (at commit, when inside a transaction); answers their ids. */
    const enqueue = Effect.fn("Outbox.enqueue")(function* (entries: ReadonlyArray<OutboxEntry>) {
      if (entries.length === 0) return []
      const inserted = yield* sql<{ id: string }>`insert into outbox ${sql.insert(
        entries.map((entry) => ({
          connection_id: entry.connection,
          chat_id: entry.chatId,
          method: entry.method,
          params: JSON.stringify(entry.params),
          actor_key: entry.actorKey ?? null,
          cause: entry.cause ?? null,
          reply_as: entry.replyAs ?? null,
          report_failure: entry.reportFailure === true
        }))
      )} returning id`.pipe(Effect.orDie)
      yield* sql`select pg_notify(${outboxChannel}, ${entries[0]!.connection})`.pipe(Effect.orDie)
      return inserted.map((row) => Number(row.id))
    })

    /** The oldest pending row of every lane. */
    const heads = rows(sql<Raw>`
      select distinct on (connection_id, chat_id, params ->> 'message_thread_id') ${columns} from outbox
      where status = 'pending' order by connection_id, chat_id, params ->> 'message_thread_id', id`)

    /** The oldest pending row of every lane: its id and lane only (`topic` as in `OutboxRow`). */
    const laneHeads = sql<{ id: string; connection_id: string; chat_id: string; topic: string | null }>`
      select distinct on (connection_id, chat_id, params ->> 'message_thread_id')
        id, connection_id, chat_id, params ->> 'message_thread_id' as topic
      from outbox where status = 'pending' order by connection_id, chat_id, params ->> 'message_thread_id', id`.pipe(
      Effect.map((found) =>
        found.map((row) => ({
          id: Number(row.id),
          connection: ConnectionId.make(row.connection_id),
          chatId: Number(row.chat_id),
          topic: row.topic
        }))
      ),
      Effect.orDie
    )

    /** The rows among `ids` still pending, in id order. */
    const pendingOf = (ids: ReadonlyArray<number>) =>
      ids.length === 0
        ? Effect.succeed([])
        : rows(
            sql<Raw>`select ${columns} from outbox where id in ${sql.in(ids)} and status = 'pending' order by id`
          )

    /** The oldest pending row of one lane. */
    const head = (connection: ConnectionId, chatId: number, topic: string | null) =>
      rows(sql<Raw>`
        select ${columns} from outbox
        where connection_id = ${connection} and chat_id = ${chatId} and ${inTopic(topic)} and status = 'pending'
        order by id limit 1`).pipe(Effect.map((found) => Option.fromNullable(found[0])))

    // For a row whose actor asked for the outcome: the mail carrying it, in the settling statement.
    const wants = (row: OutboxRow, outcome: "sent" | "failed") =>
      row.actorKey !== null && (row.replyAs !== null || (outcome === "failed" && row.reportFailure))
    const reply = (row: OutboxRow, outcome: "sent" | "failed", event: object) =>
      wants(row, outcome)
        ? sql`insert into actor_mail (actor_key, source, event)
            values (${row.actorKey}, ${`outbox:${row.id}`}, ${JSON.stringify(event)}::jsonb)`
        : sql`select 1`
    const notifyReply = (row: OutboxRow, outcome: "sent" | "failed") =>
      wants(row, outcome)
        ? sql`select pg_notify(${mailChannel}, ${row.actorKey})`.pipe(Effect.asVoid, Effect.orDie)
        : Effect.void

    /**
     * Marks `row` sent with Telegram's result (and the messages it produced, in `message_map`), mailing the result to its actor
     * if it asked; answers the lane's next row.
     */
    const sent = (row: OutboxRow, result: unknown) => {
      const mappings = mappingsOf(row.method, row.params, result)
      const messageId = mappings[0]?.messageId ?? null
      return rows(sql<Raw>`
        with replied as (
          ${reply(row, "sent", { type: row.replyAs, outboxId: row.id, messageId, result: result ?? null })}
        ), done as (
          update outbox set status = 'sent', result = ${JSON.stringify(result ?? null)}::jsonb, sent_at = now(),
            attempts = attempts + 1, error = null
          where id = ${row.id} returning id, connection_id, chat_id
        ), mapped as (
          insert into message_map (outbox_id, connection_id, chat_id, message_id, source_chat_id, source_message_id)
          select done.id, done.connection_id, done.chat_id, m."messageId", m."sourceChatId", m."sourceMessageId"
          from done, jsonb_to_recordset(${JSON.stringify(mappings)}::jsonb)
            as m("messageId" bigint, "sourceChatId" bigint, "sourceMessageId" bigint)
          on conflict do nothing
        )
        ${nextAfter(row)}`).pipe(
        Effect.map((found) => Option.fromNullable(found[0])),
        Effect.tap(() => notifyReply(row, "sent"))
      )
    }

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
      return rows(sql<Raw>`
        with replied as (
          ${reply(row, "failed", { ...event, params: { chat_id: row.chatId, ...row.params } })}
        ), done as (
          update outbox set status = 'failed', error = ${description}, attempts = attempts + 1 where id = ${row.id}
        ), logged as (
          insert into journal (actor_key, cause, ordinal, type, event)
          values (${row.actorKey ?? `connection:${row.connection}`}, ${`outbox:${row.id}`}, 0, 'delivery.failed',
            ${JSON.stringify(event)}::jsonb)
          on conflict do nothing
        )
        ${nextAfter(row)}`).pipe(
        Effect.map((found) => Option.fromNullable(found[0])),
        Effect.tap(() => notifyReply(row, "failed")),
        Effect.tap(() => sql`select pg_notify(${journalChannel}, ${row.connection})`.pipe(Effect.orDie))
      )
    }

    /** Leaves `row` pending until `notBefore`, noting why (and counting the attempt, unless a 429). */
    const postpone = (row: OutboxRow, notBefore: Date, error: string, countAttempt: boolean) =>
      sql`
        update outbox set not_before = ${notBefore}, error = ${error},
          attempts = attempts + ${countAttempt ? 1 : 0}
        where id = ${row.id}`.pipe(Effect.asVoid, Effect.orDie)

    return { enqueue, heads, laneHeads, pendingOf, head, sent, failed, postpone } as const
  })
}) {}
