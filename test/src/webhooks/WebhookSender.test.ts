import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { FetchHttpClient } from "@effect/platform"
import { SqlClient } from "@effect/sql"
import { layer } from "@effect/vitest"
import { Duration, Effect, Layer, TestClock } from "effect"
import { expect } from "vitest"
import { WebhookSender } from "../../../src/webhooks/WebhookSender.ts"
import { WebhookStore } from "../../../src/webhooks/WebhookStore.ts"
import { MigratedDatabase } from "../../support/Gateway.ts"

/** A receiver answering `status()` to every request, counting them. */
const receiver = (status: () => number) =>
  Effect.acquireRelease(
    Effect.promise(
      () =>
        new Promise<{ url: string; server: http.Server; hits: () => number }>((resolve) => {
          let hits = 0
          const server = http.createServer((request, response) => {
            hits += 1
            request.resume()
            request.on("end", () => response.writeHead(status()).end())
          })
          server.listen(0, "127.0.0.1", () =>
            resolve({
              url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
              server,
              hits: () => hits
            })
          )
        })
    ),
    ({ server }) => Effect.promise(() => new Promise<void>((resolve) => server.close(() => resolve())))
  )

const group = -1001234567890
const Live = Layer.mergeAll(WebhookSender.Default, WebhookStore.Default).pipe(
  Layer.provide(FetchHttpClient.layer),
  Layer.provideMerge(MigratedDatabase)
)

layer(Live, { timeout: 60_000 })("WebhookSender, with a test clock", (it) => {
  it.scoped(
    "retries after the back-off, and switches a subscription failing for a day off with a notice",
    () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const sender = yield* WebhookSender
        const store = yield* WebhookStore
        let answer = 500
        const hook = yield* receiver(() => answer)
        yield* sql`insert into connection (id, token, api_root, backend_group_id)
        values ('bot:1', 'x', 'http://127.0.0.1:1', ${group})`
        const { subscription } = yield* store.add({
          chatId: group,
          url: hook.url,
          events: "dialog.opened",
          createdBy: "test"
        })
        const enqueue = (seq: number) =>
          Effect.flatMap(
            Effect.clockWith((clock) => clock.currentTimeMillis),
            (
              now
            ) => sql`insert into webhook_delivery (subscription_id, seq, event_type, body, next_attempt_at, created_at)
            values (${subscription.id}, ${seq}, 'dialog.opened', '{}', ${new Date(now)}, ${new Date(now)})`
          )

        yield* enqueue(1)
        expect(yield* sender.deliverDue).toBe(1)
        expect(hook.hits()).toBe(1)
        // Not due again before the first back-off (4 to 6 s).
        yield* TestClock.adjust(Duration.seconds(3))
        expect(yield* sender.deliverDue).toBe(0)
        yield* TestClock.adjust(Duration.seconds(4))
        expect(yield* sender.deliverDue).toBe(1)
        expect(hook.hits()).toBe(2)
        expect((yield* store.get(subscription.id)).failingSince?.getTime()).toBe(0)

        // 25 hours later: the first delivery's third try fails and it is given up (its next try would fall
        // past its day); new ones fail too, and the subscription, failing for a day, goes off.
        yield* TestClock.adjust(Duration.hours(25))
        yield* enqueue(2)
        yield* enqueue(3)
        expect(yield* sender.deliverDue).toBe(3)
        const off = yield* store.get(subscription.id)
        expect(off.enabled).toBe(false)
        expect(off.disabledReason).toContain("HTTP 500")
        const statuses = yield* sql<{ seq: string; status: string; attempts: number }>`
        select seq, status, attempts from webhook_delivery order by seq`
        expect(statuses.map((row) => [Number(row.seq), row.status])).toEqual([
          [1, "failed"],
          [2, "failed"],
          [3, "failed"]
        ])
        const notices = yield* sql<{ chat_id: string; params: { message_thread_id: number; text: string } }>`
        select chat_id, params from outbox where method = 'sendMessage'`
        expect(notices.length).toBe(1)
        expect(Number(notices[0]!.chat_id)).toBe(group)
        expect(notices[0]!.params.message_thread_id).toBe(1)
        expect(notices[0]!.params.text).toContain(
          `Webhook ${subscription.id} (${hook.url}) has failed for a day`
        )
        const log = yield* store.deliveries(subscription.id)
        expect(log.find((delivery) => delivery.id === 1)?.attempts.map((one) => one.statusCode)).toEqual([
          500, 500, 500
        ])

        // Switched on again, a success clears the failure.
        yield* store.enable(subscription.id)
        answer = 204
        yield* enqueue(4)
        expect(yield* sender.deliverDue).toBe(1)
        expect((yield* store.get(subscription.id)).failingSince).toBeNull()
        expect((yield* store.deliveries(subscription.id))[0]?.status).toBe("delivered")
      })
  )
})
