import { SqlClient } from "@effect/sql"
import { layer } from "@effect/vitest"
import { Effect, Layer, Schedule, TestServices } from "effect"
import { expect } from "vitest"
import { WebhookJournal } from "../../../src/webhooks/WebhookJournal.ts"
import { WebhookStore } from "../../../src/webhooks/WebhookStore.ts"
import { MigratedDatabase } from "../../support/Gateway.ts"

const Live = Layer.mergeAll(WebhookJournal.Default, WebhookStore.Default).pipe(
  Layer.provideMerge(MigratedDatabase)
)

layer(Live, { timeout: 60_000 })("WebhookJournal", (it) => {
  it.effect(
    "queues one delivery per subscription and event, and none again when the journal is read twice",
    () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const reader = yield* WebhookJournal
        const store = yield* WebhookStore
        yield* reader.cursor
        const { subscription } = yield* store.add({
          chatId: -1001,
          url: "http://127.0.0.1:9/hook",
          events: "dialog.opened,dialog.closed",
          createdBy: "test"
        })
        yield* store.add({
          chatId: -1002,
          url: "http://127.0.0.1:9/other",
          events: "dialog.closed",
          createdBy: "test"
        })
        const append = (ordinal: number, type: string, event: Record<string, unknown>) =>
          sql`insert into journal (actor_key, cause, ordinal, type, event)
          values ('dialog:bot:1:7', 'mail:1', ${ordinal}, ${type}, ${JSON.stringify({ type, ...event })})`
        // Rows show once every older transaction of the server has ended (other tests' too): read until they do.
        const count = Effect.map(
          sql<{ n: number }>`select count(*)::int as n from webhook_delivery`,
          (rows) => rows[0]!.n
        )
        const readUntilWith = (with_: WebhookJournal, done: Effect.Effect<boolean, unknown>) =>
          TestServices.provideLive(
            Effect.zipRight(with_.readAll, done).pipe(
              Effect.repeat({ until: (ok) => ok, schedule: Schedule.spaced("100 millis"), times: 100 })
            )
          )
        const ref = { connection: "bot:1", peerId: 7, chatId: -1001, threadId: 42 }
        yield* append(0, "dialog.opened", { ...ref, client: null })
        yield* append(1, "dialog.clientWrote", { ...ref, messageId: 3 })
        yield* append(2, "dialog.statusChanged", { ...ref, status: "closed", by: 5 })
        yield* readUntilWith(
          reader,
          Effect.map(count, (n) => n >= 2)
        )
        // As after a crash between queueing and moving the cursor: a new reader (a restarted
        // process) finds the cursor back before those rows and reads them again.
        yield* sql`update webhook_cursor set txid = '0'::xid8, seq = 0`
        const restarted = yield* WebhookJournal.pipe(Effect.provide(WebhookJournal.Default))
        yield* readUntilWith(
          restarted,
          Effect.map(
            sql<{ seq: string }>`select seq from webhook_cursor`,
            (rows) => Number(rows[0]!.seq) >= 3
          )
        )
        expect(yield* count).toBe(2)
        const rows = yield* sql<{ subscription_id: string; event_type: string; body: string }>`
        select subscription_id, event_type, body from webhook_delivery order by id`
        expect(rows.map((one) => [Number(one.subscription_id), one.event_type])).toEqual([
          [subscription.id, "dialog.opened"],
          [subscription.id, "dialog.closed"]
        ])
        expect(JSON.parse(rows[1]!.body)).toMatchObject({ type: "dialog.closed", data: { ...ref, by: 5 } })
      })
  )
})
