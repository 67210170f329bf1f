import { SqlClient } from "@effect/sql"
import { Clock, Effect } from "effect"
import { PluginJournal, type JournalRow, type Position } from "../plugins/PluginJournal.ts"
import { bodyOf, outboundOf } from "./WebhookEvents.ts"

/** How many journal rows one read takes. */
const batch = 500

/** Whether a journal row changes its dialog's status (which `dialog.statusChanged` events report). */
const changesStatus = (row: JournalRow) => row.type === "dialog.opened" || row.type === "dialog.statusChanged"

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

    /** The stored statuses of the dialogs whose status `rows` change (the status before them). */
    const statuses = Effect.fn("WebhookJournal.statuses")(function* (rows: ReadonlyArray<JournalRow>) {
      const keys = [...new Set(rows.filter(changesStatus).map((row) => row.actorKey))]
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

    /**
     * Reads one batch; answers how many new deliveries it queued (`undefined`: the journal is read
     * to its end). The messages an event carries are looked up only for events a subscription
     * wants; dialogs' statuses are kept whether or not anybody subscribes, so that a subscription
     * added later knows which dialog is reopened.
     */
    const readOnce = Effect.gen(function* () {
      const rows = yield* journal.read(yield* cursor, batch)
      if (rows.length === 0) return undefined
      const now = new Date(yield* Clock.currentTimeMillis)
      return yield* Effect.gen(function* () {
        const status = yield* statuses(rows)
        const changed = new Map<string, string>()
        // Events name their group (`chatId`): only rows of groups with a subscription become events.
        const groups = [
          ...new Set(
            rows.flatMap((row) => (typeof row.event["chatId"] === "number" ? [row.event["chatId"]] : []))
          )
        ]
        const subscriptions =
          groups.length === 0
            ? []
            : yield* sql<{ id: string; chat_id: string; events: ReadonlyArray<string> }>`
                select id, chat_id, events from webhook_subscription
                where enabled and chat_id in ${sql.in(groups)}`
        const subscribed = new Set(subscriptions.map((one) => Number(one.chat_id)))
        const drafts = rows.flatMap((row) => {
          const previousStatus = status.get(row.actorKey)
          if (changesStatus(row)) {
            const next = row.type === "dialog.opened" ? "awaitingTeam" : String(row.event["status"])
            status.set(row.actorKey, next)
            changed.set(row.actorKey, next)
          }
          if (row.chatId === null || !subscribed.has(row.chatId)) return []
          const event = outboundOf(row, { previousStatus, message: undefined })
          return event === undefined ? [] : [{ row, event, previousStatus }]
        })
        const wanted = drafts.flatMap((draft) => {
          const takers = subscriptions.filter(
            (one) => Number(one.chat_id) === draft.event.chatId && one.events.includes(draft.event.type)
          )
          return takers.length === 0 ? [] : [{ ...draft, takers }]
        })
        const found = yield* messages(wanted.map(({ row }) => row))
        const deliveries = wanted.flatMap(({ row, previousStatus, takers }) => {
          const event = outboundOf(row, { previousStatus, message: found.get(row.cause) })!
          return takers.map((one) => ({
            subscription_id: one.id,
            seq: row.seq,
            event_type: event.type,
            body: bodyOf(event, now),
            next_attempt_at: now,
            created_at: now
          }))
        })
        const last = rows.at(-1)!
        const move = sql`update webhook_cursor set txid = ${last.txid}::xid8, seq = ${last.seq} where id = 1`
        // The statuses, the deliveries and the cursor's move are one transaction.
        if (changed.size === 0 && deliveries.length === 0) {
          yield* move
          return { queued: 0, last }
        }
        return yield* Effect.gen(function* () {
          if (changed.size > 0)
            yield* sql`insert into webhook_dialog_status ${sql.insert(
              [...changed].map(([actor_key, value]) => ({ actor_key, status: value }))
            )} on conflict (actor_key) do update set status = excluded.status`
          const inserted =
            deliveries.length === 0
              ? []
              : yield* sql`insert into webhook_delivery ${sql.insert(deliveries)} on conflict do nothing returning id`
          yield* move
          return { queued: inserted.length, last }
        }).pipe(sql.withTransaction)
      }).pipe(
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
