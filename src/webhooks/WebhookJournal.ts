import { SqlClient } from "@effect/sql"
import { Clock, Effect } from "effect"
import { PluginJournal, type JournalRow, type Position } from "../plugins/PluginJournal.ts"
import { bodyOf, outboundOf } from "./WebhookEvents.ts"

/** How many journal rows one read takes. */
const batch = 500

/** `inbox:<connection>/<update_id>`, the cause of a step applying a Telegram update. */
const inboxCause = /^inbox:(.+)\/(\d+)$/

/**
 * Reads the journal with a durable cursor of its own (from the first start on, like a plugin) and
 * turns the events subscribers want into `webhook_delivery` rows, one per subscription and event.
 * The rows and the cursor's move are one transaction, and a row is unique per subscription and
 * journal row, so a batch read twice (after a crash) queues nothing twice.
 */
export class WebhookJournal extends Effect.Service<WebhookJournal>()("app/WebhookJournal", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const journal = yield* PluginJournal

    const stored = Effect.gen(function* () {
      yield* sql`insert into webhook_cursor (id, txid, seq)
        values (1, commit_horizon(), 0) on conflict do nothing`
      const [row] = yield* sql<{
        txid: string
        seq: string
      }>`select txid::text as txid, seq from webhook_cursor`
      return { txid: row!.txid, seq: Number(row!.seq) } satisfies Position
    }).pipe(Effect.orDie)
    // Read from the table once; then kept here, where every move of it is made (after its commit).
    let known: Position | undefined
    const cursor = Effect.suspend(() =>
      known !== undefined ? Effect.succeed(known) : Effect.tap(stored, (position) => (known = position))
    )

    /** The dialogs' statuses before `rows`, and after them (to be stored). */
    const statuses = Effect.fn("WebhookJournal.statuses")(function* (rows: ReadonlyArray<JournalRow>) {
      const keys = [
        ...new Set(rows.filter((row) => row.type.startsWith("dialog.")).map((row) => row.actorKey))
      ]
      const known =
        keys.length === 0
          ? []
          : yield* sql<{ actor_key: string; status: string }>`
              select actor_key, status from webhook_dialog_status where actor_key in ${sql.in(keys)}`
      return new Map(known.map((row) => [row.actor_key, row.status]))
    })

    /** The Telegram messages of the rows caused by an update (a client's message, a team's answer), in one read. */
    const messages = Effect.fn("WebhookJournal.messages")(function* (rows: ReadonlyArray<JournalRow>) {
      const wanted = new Map<string, { readonly connection: string; readonly updateId: string }>()
      for (const row of rows) {
        if (row.type !== "dialog.clientWrote" && row.type !== "dialog.teamAnswered") continue
        const match = inboxCause.exec(row.cause)
        if (match !== null)
          wanted.set(`${match[1]!}/${match[2]!}`, { connection: match[1]!, updateId: match[2]! })
      }
      const found = new Map<string, Record<string, unknown>>()
      if (wanted.size === 0) return found
      const updates = [...wanted.values()]
      const stored = yield* sql<{
        connection_id: string
        update_id: string
        message: Record<string, unknown> | null
      }>`
        select connection_id, update_id, payload -> 'message' as message from inbox
        where connection_id in ${sql.in([...new Set(updates.map((update) => update.connection))])}
          and update_id in ${sql.in(updates.map((update) => update.updateId))}`
      const byUpdate = new Map(
        stored.map((update) => [`${update.connection_id}/${update.update_id}`, update.message])
      )
      for (const row of rows) {
        if (row.type !== "dialog.clientWrote" && row.type !== "dialog.teamAnswered") continue
        const match = inboxCause.exec(row.cause)
        if (match === null || found.has(row.cause)) continue
        const message = byUpdate.get(`${match[1]!}/${match[2]!}`)
        if (message !== null && message !== undefined && message["message_id"] === row.event["messageId"])
          found.set(row.cause, message)
      }
      return found
    })

    /** Reads one batch; answers how many new deliveries it queued (`undefined`: the journal is read to its end). */
    const readOnce = Effect.gen(function* () {
      const rows = yield* journal.read(yield* cursor, batch)
      if (rows.length === 0) return undefined
      const now = new Date(yield* Clock.currentTimeMillis)
      return yield* Effect.gen(function* () {
        const status = yield* statuses(rows)
        const changed = new Map<string, string>()
        const found = yield* messages(rows)
        const events = rows.flatMap((row) => {
          const previousStatus = status.get(row.actorKey)
          if (row.type === "dialog.opened" || row.type === "dialog.statusChanged") {
            const next = row.type === "dialog.opened" ? "awaitingTeam" : String(row.event["status"])
            status.set(row.actorKey, next)
            changed.set(row.actorKey, next)
          }
          const event = outboundOf(row, { previousStatus, message: found.get(row.cause) })
          return event === undefined ? [] : [{ row, event }]
        })
        if (changed.size > 0)
          yield* sql`insert into webhook_dialog_status ${sql.insert(
            [...changed].map(([actor_key, value]) => ({ actor_key, status: value }))
          )} on conflict (actor_key) do update set status = excluded.status`
        const groups = [...new Set(events.map(({ event }) => event.chatId))]
        const subscriptions =
          groups.length === 0
            ? []
            : yield* sql<{ id: string; chat_id: string; events: ReadonlyArray<string> }>`
                select id, chat_id, events from webhook_subscription
                where enabled and chat_id in ${sql.in(groups)}`
        const deliveries = events.flatMap(({ row, event }) =>
          subscriptions
            .filter((one) => Number(one.chat_id) === event.chatId && one.events.includes(event.type))
            .map((one) => ({
              subscription_id: one.id,
              seq: row.seq,
              event_type: event.type,
              body: bodyOf(event, now),
              next_attempt_at: now,
              created_at: now
            }))
        )
        const inserted =
          deliveries.length === 0
            ? []
            : yield* sql`insert into webhook_delivery ${sql.insert(deliveries)} on conflict do nothing returning id`
        const last = rows.at(-1)!
        yield* sql`update webhook_cursor set txid = ${last.txid}::xid8, seq = ${last.seq} where id = 1`
        return { queued: inserted.length, last }
      }).pipe(
        sql.withTransaction,
        Effect.orDie,
        Effect.map(({ queued, last }) => {
          known = { txid: last.txid, seq: last.seq }
          return queued
        })
      )
    }).pipe(Effect.withSpan("WebhookJournal.readOnce"))

    /** Reads the journal to its end; answers how many deliveries it queued. */
    const readAll = Effect.gen(function* () {
      let queued = 0
      for (;;) {
        const read = yield* readOnce
        if (read === undefined) return queued
        queued += read
      }
    })

    return { readOnce, readAll, cursor } as const
  }),
  dependencies: [PluginJournal.Default]
}) {}
