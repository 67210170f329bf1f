import { HttpClient } from "@effect/platform"
import { SqlClient } from "@effect/sql"
import { Clock, Context, Duration, Effect, Random } from "effect"
import { ConnectionId } from "../domain/Ids.ts"
import { Outbox } from "../telegram/Outbox.ts"
import { failedForADay, nextAttemptAt } from "./Backoff.ts"
import { signedPost, type PostOutcome } from "./SignedPost.ts"

/** How deliveries are sent; tests shorten it with `Layer.succeed(WebhookSenderConfig, {...})`. */
export class WebhookSenderConfig extends Context.Reference<WebhookSenderConfig>()("app/WebhookSenderConfig", {
  defaultValue: () => ({
    /** How long one try waits for the receiver's answer. */
    timeout: Duration.seconds(10),
    /** Deliveries sent at the same time. */
    concurrency: 32,
    /** Looks for due deliveries this often. */
    pollInterval: Duration.seconds(1),
    /**
     * The least time between two reads of the journal: what happens meanwhile is read together,
     * in one transaction, rather than a read for every step the actors commit.
     */
    readGap: Duration.millis(100)
  })
}) {}

/** A delivery claimed for one try. */
export interface Claimed {
  readonly id: number
  readonly subscriptionId: number
  readonly chatId: number
  readonly url: string
  readonly secret: string
  readonly body: string
  readonly attempts: number
  readonly createdAt: Date
}

const GENERAL = 1

/** The `webhook-id` of a delivery: the same on every try, so a receiver can drop a repeat. */
export const messageId = (delivery: { readonly id: number }) => `msg_${delivery.id}`

const summary = (outcome: PostOutcome) =>
  outcome._tag === "Answered" ? `HTTP ${outcome.status}` : outcome.error

/**
 * Sends due deliveries: each is claimed (locked for longer than a try can last, so no other
 * sender takes it meanwhile), POSTed signed, and its outcome recorded in one transaction: the try
 * in the log, then delivered, or the next try after the back-off, or failed after a day. A
 * subscription whose tries have all failed for a day is switched off, with a notice in its
 * group's General topic.
 */
export class WebhookSender extends Effect.Service<WebhookSender>()("app/WebhookSender", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const outbox = yield* Outbox
    const http = yield* HttpClient.HttpClient

    /** Claims up to `limit` due deliveries. */
    const claim = Effect.fn("WebhookSender.claim")(function* (limit: number) {
      const config = yield* WebhookSenderConfig
      const now = yield* Clock.currentTimeMillis
      const lockedUntil = new Date(now + Duration.toMillis(config.timeout) + 30_000)
      const rows = yield* sql<{
        id: string
        subscription_id: string
        chat_id: string
        url: string
        secret: string
        body: string
        attempts: number
        created_at: Date
      }>`
        update webhook_delivery d set locked_until = ${lockedUntil}
        from webhook_subscription s
        where d.id in (
            select id from webhook_delivery
            where status = 'pending' and next_attempt_at <= ${new Date(now)}
              and (locked_until is null or locked_until <= ${new Date(now)})
            order by next_attempt_at, id limit ${limit}
            for update skip locked)
          and s.id = d.subscription_id
        returning d.id, d.subscription_id, s.chat_id, s.url, s.secret, d.body, d.attempts, d.created_at`.pipe(
        Effect.orDie
      )
      return rows.map((row): Claimed => ({
        id: Number(row.id),
        subscriptionId: Number(row.subscription_id),
        chatId: Number(row.chat_id),
        url: row.url,
        secret: row.secret,
        body: row.body,
        attempts: row.attempts,
        createdAt: row.created_at
      }))
    })

    /** Switches a subscription off after a day of failures and tells its group in General. */
    const disable = (delivery: Claimed, failingSince: Date, now: Date, last: string) =>
      Effect.gen(function* () {
        const reason = `failing since ${failingSince.toISOString()} (last: ${last})`
        yield* sql`update webhook_subscription set enabled = false, disabled_at = ${now}, disabled_reason = ${reason}
          where id = ${delivery.subscriptionId}`
        yield* sql`update webhook_delivery set status = 'failed', finished_at = ${now}, locked_until = null
          where subscription_id = ${delivery.subscriptionId} and status = 'pending'`
        const [connection] = yield* sql<{ id: string }>`
          select id from connection where backend_group_id = ${delivery.chatId} and enabled order by id limit 1`
        const text =
          `Webhook ${delivery.subscriptionId} (${delivery.url}) has failed for a day (last: ${last}) and is now off. ` +
          `Fix the receiver, then switch it on again with /webhook enable ${delivery.subscriptionId}.`
        if (connection === undefined)
          return yield* Effect.logWarning(
            `webhooks: ${text} (no bot serves group ${delivery.chatId} to say so)`
          )
        yield* Effect.logWarning(
          `webhooks: webhook ${delivery.subscriptionId} of ${delivery.chatId} is now off: ${reason}`
        )
        yield* outbox.enqueue([
          {
            connection: ConnectionId.make(connection.id),
            chatId: delivery.chatId,
            method: "sendMessage",
            params: { chat_id: delivery.chatId, message_thread_id: GENERAL, text },
            actorKey: "webhooks",
            cause: `webhook:${delivery.subscriptionId}`
          }
        ])
      })

    /** Records one try's outcome (see the class). */
    const record = Effect.fn("WebhookSender.record")(function* (delivery: Claimed, outcome: PostOutcome) {
      const nowMs = yield* Clock.currentTimeMillis
      const now = new Date(nowMs)
      const attempt = delivery.attempts + 1
      const ok = outcome._tag === "Answered" && outcome.status >= 200 && outcome.status < 300
      const status = outcome._tag === "Answered" ? outcome.status : null
      const error = ok ? null : summary(outcome)
      const random = yield* Random.next
      yield* Effect.gen(function* () {
        // The subscription first: tries of one subscription settle one after another (no deadlock).
        const [locked] = yield* sql<{ enabled: boolean }>`
          select enabled from webhook_subscription where id = ${delivery.subscriptionId} for update`
        yield* sql`insert into webhook_attempt (delivery_id, attempt, at, status_code, error, latency_ms)
          values (${delivery.id}, ${attempt}, ${now}, ${status}, ${error}, ${Math.round(outcome.latencyMs)})`
        if (ok) {
          yield* sql`update webhook_delivery set status = 'delivered', attempts = ${attempt}, last_status = ${status},
            last_error = null, finished_at = ${now}, locked_until = null where id = ${delivery.id}`
          yield* sql`update webhook_subscription set failing_since = null where id = ${delivery.subscriptionId}`
          return
        }
        // A subscription switched off meanwhile (by a try settled just before) takes no more tries.
        const next =
          locked?.enabled === true
            ? nextAttemptAt(attempt, delivery.createdAt.getTime(), nowMs, random)
            : undefined
        yield* sql`update webhook_delivery set attempts = ${attempt}, last_status = ${status}, last_error = ${error},
            locked_until = null, status = ${next === undefined ? "failed" : "pending"},
            next_attempt_at = ${next === undefined ? now : new Date(next)},
            finished_at = ${next === undefined ? now : null}
          where id = ${delivery.id}`
        const [subscription] = yield* sql<{ failing_since: Date; enabled: boolean }>`
          update webhook_subscription set failing_since = coalesce(failing_since, ${now})
          where id = ${delivery.subscriptionId} returning failing_since, enabled`
        if (subscription?.enabled === true && failedForADay(subscription.failing_since.getTime(), nowMs))
          yield* disable(delivery, subscription.failing_since, now, error ?? "")
      }).pipe(sql.withTransaction, Effect.orDie)
      return ok
    })

    /** One try of a claimed delivery, recorded; answers whether the receiver took it. */
    const send = (delivery: Claimed) =>
      Effect.gen(function* () {
        const config = yield* WebhookSenderConfig
        const outcome = yield* signedPost({
          url: delivery.url,
          secret: delivery.secret,
          id: messageId(delivery),
          body: delivery.body,
          timeout: config.timeout
        }).pipe(Effect.provideService(HttpClient.HttpClient, http))
        if (outcome._tag === "NoAnswer" || outcome.status >= 300)
          yield* Effect.logInfo(
            `webhooks: delivery ${delivery.id} to webhook ${delivery.subscriptionId} failed (try ${delivery.attempts + 1}): ${summary(outcome)}`
          )
        return yield* record(delivery, outcome)
      }).pipe(Effect.withSpan("WebhookSender.send", { attributes: { delivery: delivery.id } }))

    /** Claims the deliveries due now and sends them, all at once; answers how many. */
    const deliverDue = Effect.gen(function* () {
      const config = yield* WebhookSenderConfig
      const claimed = yield* claim(config.concurrency)
      yield* Effect.forEach(claimed, send, { concurrency: "unbounded", discard: true })
      return claimed.length
    })

    return { claim, send, record, deliverDue } as const
  }),
  dependencies: [Outbox.Default]
}) {}
