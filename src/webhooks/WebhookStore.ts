import { SqlClient } from "@effect/sql"
import { Data, Effect, Either, Option } from "effect"
import { newSecret } from "./Signing.ts"
import { parseEvents, parseUrl } from "./WebhookEvents.ts"

/** A subscription's URL or events are not valid; `field` names which. */
export class SubscriptionInvalid extends Data.TaggedError("SubscriptionInvalid")<{
  readonly field: "url" | "events"
  readonly reason: string
}> {
  override get message() {
    return `${this.field}: ${this.reason}`
  }
}

/** No subscription with that id (in that group). */
export class SubscriptionNotFound extends Data.TaggedError("SubscriptionNotFound")<{ readonly id: number }> {
  override get message() {
    return `there is no webhook ${this.id}`
  }
}

/** One subscription, as listed (its secret is shown once, when it is added). */
export interface Subscription {
  readonly id: number
  readonly chatId: number
  readonly url: string
  readonly events: ReadonlyArray<string>
  readonly enabled: boolean
  /** Since when its deliveries fail (reset by a success); `null` when the last one succeeded. */
  readonly failingSince: Date | null
  readonly disabledReason: string | null
  readonly createdBy: string
  readonly createdAt: Date
}

/** One delivery of an event to a subscription, with its tries. */
export interface Delivery {
  readonly id: number
  readonly event: string
  readonly status: "pending" | "delivered" | "failed"
  readonly attempts: ReadonlyArray<{
    readonly attempt: number
    readonly at: Date
    readonly statusCode: number | null
    readonly error: string | null
    readonly latencyMs: number
  }>
  readonly nextAttemptAt: Date | null
  readonly createdAt: Date
}

interface Raw {
  readonly id: string
  readonly chat_id: string
  readonly url: string
  readonly events: ReadonlyArray<string>
  readonly enabled: boolean
  readonly failing_since: Date | null
  readonly disabled_reason: string | null
  readonly created_by: string
  readonly created_at: Date
}

const fromRaw = (raw: Raw): Subscription => ({
  id: Number(raw.id),
  chatId: Number(raw.chat_id),
  url: raw.url,
  events: raw.events,
  enabled: raw.enabled,
  failingSince: raw.failing_since,
  disabledReason: raw.disabled_reason,
  createdBy: raw.created_by,
  createdAt: raw.created_at
})

/** The groups' webhook subscriptions: added (with a new secret), listed, removed, and their delivery log. */
export class WebhookStore extends Effect.Service<WebhookStore>()("app/WebhookStore", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const columns = sql`id, chat_id, url, events, enabled, failing_since, disabled_reason, created_by, created_at`

    /** Adds a subscription of `chatId` to `events` (`a,b`); answers it and its secret, shown only now. */
    const add = Effect.fn("WebhookStore.add")(function* (input: {
      readonly chatId: number
      readonly url: string
      readonly events: string
      readonly createdBy: string
    }) {
      const url = parseUrl(input.url)
      if (Either.isLeft(url)) return yield* new SubscriptionInvalid({ field: "url", reason: url.left })
      const events = parseEvents(input.events)
      if (Either.isLeft(events))
        return yield* new SubscriptionInvalid({ field: "events", reason: events.left })
      const secret = newSecret()
      const [row] = yield* sql<Raw>`
        insert into webhook_subscription (chat_id, url, events, secret, created_by)
        values (${input.chatId}, ${url.right}, ${events.right}, ${secret}, ${input.createdBy})
        returning ${columns}`.pipe(Effect.orDie)
      return { subscription: fromRaw(row!), secret }
    })

    /** The subscriptions of `chatId`, or of every group. */
    const list = (chatId?: number) =>
      sql<Raw>`select ${columns} from webhook_subscription
        ${chatId === undefined ? sql`` : sql`where chat_id = ${chatId}`} order by id`.pipe(
        Effect.map((rows) => rows.map(fromRaw)),
        Effect.orDie
      )

    /** One subscription (of `chatId`, when given). */
    const get = (id: number, chatId?: number) =>
      sql<Raw>`select ${columns} from webhook_subscription where id = ${id}
        ${chatId === undefined ? sql`` : sql`and chat_id = ${chatId}`}`.pipe(
        Effect.orDie,
        Effect.flatMap((rows) =>
          Option.match(Option.fromNullable(rows[0]), {
            onNone: () => Effect.fail(new SubscriptionNotFound({ id })),
            onSome: (raw) => Effect.succeed(fromRaw(raw))
          })
        )
      )

    /** Removes a subscription (of `chatId`, when given) with its deliveries. */
    const remove = (id: number, chatId?: number) =>
      Effect.zipRight(
        get(id, chatId),
        sql`delete from webhook_subscription where id = ${id}`.pipe(Effect.orDie, Effect.asVoid)
      )

    /** Switches a subscription (of `chatId`, when given) on again, its failures forgotten. */
    const enable = (id: number, chatId?: number) =>
      Effect.zipRight(
        get(id, chatId),
        sql`update webhook_subscription set enabled = true, failing_since = null, disabled_at = null,
          disabled_reason = null where id = ${id}`.pipe(Effect.orDie, Effect.asVoid)
      )

    /** The subscription's latest `limit` deliveries, newest first, each with its tries. */
    const deliveries = Effect.fn("WebhookStore.deliveries")(function* (
      id: number,
      chatId?: number,
      limit = 50
    ) {
      yield* get(id, chatId)
      const rows = yield* sql<{
        id: string
        event_type: string
        status: Delivery["status"]
        next_attempt_at: Date
        created_at: Date
        attempts: ReadonlyArray<{
          attempt: number
          at: string
          status_code: number | null
          error: string | null
          latency_ms: number
        }>
      }>`
        select d.id, d.event_type, d.status, d.next_attempt_at, d.created_at,
          coalesce((select json_agg(a order by a.attempt) from webhook_attempt a where a.delivery_id = d.id), '[]') as attempts
        from webhook_delivery d where d.subscription_id = ${id} order by d.id desc limit ${limit}`.pipe(
        Effect.orDie
      )
      return rows.map((row): Delivery => ({
        id: Number(row.id),
        event: row.event_type,
        status: row.status,
        attempts: row.attempts.map((one) => ({
          attempt: one.attempt,
          at: new Date(one.at),
          statusCode: one.status_code,
          error: one.error,
          latencyMs: one.latency_ms
        })),
        nextAttemptAt: row.status === "pending" ? row.next_attempt_at : null,
        createdAt: row.created_at
      }))
    })

    return { add, list, get, remove, enable, deliveries } as const
  })
}) {}
