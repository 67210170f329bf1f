import { SqlClient } from "@effect/sql"
import { InputFile } from "grammy"
import {
  Cache,
  Clock,
  Context,
  Deferred,
  Duration,
  Effect,
  Either,
  FiberSet,
  Metric,
  Option,
  Queue,
  Schedule,
  Stream
} from "effect"
import type { ConnectionId } from "../domain/Ids.ts"
import { BotApi, type BotApiFailure } from "./BotApi.ts"
import { Connections } from "./Connections.ts"
import { Outbox, outboxChannel, type OutboxRow } from "./Outbox.ts"
import { RateLimiter, weightOf } from "./RateLimiter.ts"
import { Notifications } from "../sql/Notifications.ts"

/** How the Sender drains the outbox; tests shorten the intervals with `Layer.succeed(SenderConfig, {...})`. */
export class SenderConfig extends Context.Reference<SenderConfig>()("app/SenderConfig", {
  defaultValue: () => ({
    /** Looks for pending rows this often even without a notification. */
    pollInterval: Duration.seconds(1),
    /** Back-off after a 5xx or a network error: doubles from `initialBackoff` up to `maxBackoff`. */
    initialBackoff: Duration.seconds(1),
    maxBackoff: Duration.minutes(5),
    /** After this many transient failures in a row the call is given up as failed. */
    maxAttempts: 20
  })
}) {}

/** Sends by `method` and `result` (sent, failed, retried, rate_limited), for `/metrics`. */
export const sendsTotal = Metric.counter("backline_telegram_sends_total", {
  description: "Bot API calls made by the Sender, by method and result",
  incremental: true
})

/** 429 answers from Telegram, by connection, for `/metrics`; the RateLimiter should keep it at zero. */
export const rateLimitedTotal = Metric.counter("backline_telegram_429_total", {
  description: "Too Many Requests answers from Telegram",
  incremental: true
})

const count = (method: string, result: "sent" | "failed" | "retried" | "rate_limited") =>
  Metric.increment(Metric.tagged(Metric.tagged(sendsTotal, "method", method), "result", result))

/** A row's lane: its connection, chat and forum topic. */
const laneOf = (row: {
  readonly connection: string
  readonly chatId: number
  readonly topic: string | null
}) => `${row.connection}|${row.chatId}|${row.topic ?? ""}`

interface Lane {
  current: number
  /** A scan saw a newer head while the lane was busy: look again before letting the lane go. */
  dirty: boolean
}

const mediaParams = new Set(["photo", "document", "video", "audio", "animation"])

/** The media params that name an uploaded file (`{ "upload": <id> }`, from the HTTP API): `[param, id]`. */
const uploadsOf = (params: Readonly<Record<string, unknown>>): Array<readonly [string, number]> =>
  Object.entries(params).flatMap(([key, value]) => {
    const id = (value as { upload?: unknown } | null)?.upload
    return mediaParams.has(key) && typeof value === "object" && value !== null && typeof id === "number"
      ? [[key, id] as const]
      : []
  })

/** `params` with each upload as a file grammY sends as multipart; a lost one fails as refused. */
const withUploads = (
  sql: SqlClient.SqlClient,
  params: Readonly<Record<string, unknown>>,
  uploads: ReadonlyArray<readonly [string, number]>
) =>
  Effect.map(
    sql<{ id: string; file_name: string; bytes: Uint8Array }>`
      select id, file_name, bytes from api_upload where id in ${sql.in(uploads.map(([, id]) => id))}`.pipe(
      Effect.orDie
    ),
    (rows) => {
      const files = { ...params }
      for (const [key, id] of uploads) {
        const row = rows.find((found) => Number(found.id) === id)
        files[key] = row === undefined ? `upload ${id} is gone` : new InputFile(row.bytes, row.file_name)
      }
      return files
    }
  )

/**
 * Drains the `outbox` table to Telegram: FIFO per lane (connection, chat and forum topic), one call
 * in flight per lane, lanes in parallel, Telegram's limits kept by the RateLimiter, a 429 pausing
 * only its lane. At least once: a crash between Telegram's answer and the row's update sends it again.
 */
export class Sender extends Effect.Service<Sender>()("app/Sender", {
  scoped: Effect.gen(function* () {
    const config = yield* SenderConfig
    const notifications = yield* Notifications
    const sql = yield* SqlClient.SqlClient
    const outbox = yield* Outbox
    const botApi = yield* BotApi
    const limiter = yield* RateLimiter
    const connections = yield* Connections
    const bots = yield* Cache.make({
      capacity: 1_000,
      timeToLive: Duration.minutes(1),
      lookup: (id: ConnectionId) => connections.get(id)
    })
    const lanes = new Map<string, Lane>()
    const wake = yield* Queue.sliding<void>(1)
    const fibers = yield* FiberSet.make()

    const later = (ms: number) => Effect.map(Clock.currentTimeMillis, (now) => new Date(now + ms))

    /** Records the outcome of a call; answers the row to send next in this lane (the same one to retry). */
    const settle = (row: OutboxRow, outcome: Either.Either<unknown, BotApiFailure>) =>
      Effect.gen(function* () {
        if (Either.isRight(outcome)) {
          yield* count(row.method, "sent")
          return yield* outbox.sent(row, outcome.right)
        }
        const failure = outcome.left
        if (failure._tag === "PermanentFailure") {
          yield* count(row.method, "failed")
          yield* Effect.logWarning(`${row.method} failed: ${failure.code} ${failure.description}`)
          return yield* outbox.failed(row, failure.code, failure.description)
        }
        if (failure._tag === "RateLimited") {
          const pause = failure.retryAfter * 1000 * limiter.limits.timeScale
          const notBefore = yield* later(pause)
          yield* count(row.method, "rate_limited")
          yield* Metric.increment(Metric.tagged(rateLimitedTotal, "connection", row.connection))
          yield* Effect.logWarning(
            `429: chat paused for ${Math.round(pause)} ms (retry_after ${failure.retryAfter})`
          )
          yield* outbox.postpone(row, notBefore, `429 retry after ${failure.retryAfter}`, false)
          return Option.some({ ...row, notBefore })
        }
        const attempts = row.attempts + 1
        if (attempts >= config.maxAttempts) {
          yield* count(row.method, "failed")
          yield* Effect.logWarning(`${row.method} given up after ${attempts} attempts: ${failure.reason}`)
          return yield* outbox.failed(
            row,
            failure.code ?? 0,
            `gave up after ${attempts} attempts: ${failure.reason}`
          )
        }
        const backoff = Math.min(
          Duration.toMillis(config.initialBackoff) * 2 ** (attempts - 1),
          Duration.toMillis(config.maxBackoff)
        )
        const notBefore = yield* later(backoff)
        yield* count(row.method, "retried")
        yield* Effect.logWarning(`${row.method} will be retried in ${backoff} ms: ${failure.reason}`)
        yield* outbox.postpone(row, notBefore, failure.reason, true)
        return Option.some({ ...row, attempts, notBefore })
      })

    /** Sends one row once its time has come; answers the lane's next row. */
    const send = Effect.fn("Sender.send")(
      function* (row: OutboxRow) {
        yield* Effect.annotateCurrentSpan({ connection: row.connection, chat: row.chatId, outbox: row.id })
        if (row.notBefore !== null) {
          const now = yield* Clock.currentTimeMillis
          yield* Effect.sleep(Math.max(0, row.notBefore.getTime() - now))
        }
        const bot = yield* bots.get(row.connection)
        if (Option.isNone(bot)) return yield* outbox.failed(row, 0, `unknown connection ${row.connection}`)
        const given = "chat_id" in row.params ? row.params : { ...row.params, chat_id: row.chatId }
        const uploads = uploadsOf(given)
        const params = uploads.length === 0 ? given : yield* withUploads(sql, given, uploads)
        // Once the call has left, it finishes and is recorded even if the Sender is shutting down
        // (the RateLimiter's waits before it stay interruptible). It holds its call slot until
        // recorded, so a crash loses the outcome of at most the bot's `inFlight` calls.
        const call = Effect.either(botApi.call(bot.value, row.method, params)).pipe(
          Effect.flatMap((outcome) =>
            Effect.zipLeft(
              settle(row, outcome),
              // Once recorded, an upload Telegram took or refused is not needed again (a retried one is).
              uploads.length > 0 && (Either.isRight(outcome) || outcome.left._tag === "PermanentFailure")
                ? sql`delete from api_upload where id in ${sql.in(uploads.map(([, id]) => id))}`.pipe(
                    Effect.orDie
                  )
                : Effect.void
            )
          )
        )
        return yield* limiter
          .withBudget(
            row.connection,
            row.chatId,
            weightOf(row.method, row.params)
          )(call)
          .pipe(Effect.uninterruptible)
      },
      (effect, row) =>
        Effect.annotateLogs(effect, { connection: row.connection, chat: row.chatId, outbox: row.id })
    )

    /** Lets a lane go, unless a scan saw a newer row meanwhile: then answers that row. */
    const release = (key: string, lane: Lane, row: OutboxRow): Effect.Effect<Option.Option<OutboxRow>> =>
      Effect.suspend(() => {
        if (!lane.dirty) {
          lanes.delete(key)
          return Effect.succeed(Option.none())
        }
        lane.dirty = false
        return Effect.flatMap(outbox.head(row.connection, row.chatId, row.topic), (next) =>
          Option.isSome(next) ? Effect.succeed(next) : release(key, lane, row)
        )
      })

    const runLane = (key: string, lane: Lane, first: OutboxRow) =>
      Effect.gen(function* () {
        let row: Option.Option<OutboxRow> = Option.some(first)
        while (Option.isSome(row)) {
          lane.current = row.value.id
          const next = yield* send(row.value)
          row = Option.isSome(next) ? next : yield* release(key, lane, row.value)
        }
      }).pipe(
        Effect.catchAllCause((cause) =>
          Effect.logError("Sender: lane stopped; it resumes at the next scan", cause)
        ),
        Effect.ensuring(Effect.sync(() => lanes.get(key) === lane && lanes.delete(key)))
      )

    const scan = Effect.gen(function* () {
      const idle: Array<number> = []
      for (const head of yield* outbox.laneHeads) {
        const busy = lanes.get(laneOf(head))
        if (busy === undefined) idle.push(head.id)
        else if (busy.current !== head.id) busy.dirty = true
      }
      // Rows are read in full only to start a lane, and only if still pending: the lane may have
      // sent one and let go while the heads were being read.
      for (const row of yield* outbox.pendingOf(idle)) {
        const key = laneOf(row)
        if (lanes.has(key)) continue
        const lane: Lane = { current: row.id, dirty: false }
        lanes.set(key, lane)
        yield* FiberSet.run(fibers, runLane(key, lane, row))
      }
    }).pipe(Effect.catchAllCause((cause) => Effect.logError("Sender: scan failed", cause)))

    const listening = yield* Deferred.make<void>()
    yield* notifications.listen(outboxChannel).pipe(
      Stream.runForEach(() =>
        Effect.zipRight(Deferred.succeed(listening, undefined), Queue.offer(wake, undefined))
      ),
      Effect.tapErrorCause((cause) => Effect.logWarning("Sender: listening for the outbox failed", cause)),
      Effect.retry(Schedule.spaced(config.pollInterval)),
      Effect.forkScoped
    )
    // Ready once a notification of our own comes back, so rows added after start-up wake the
    // Sender at once; should none come, the poll still finds them.
    yield* sql`select pg_notify(${outboxChannel}, 'sender started')`.pipe(
      Effect.orDie,
      Effect.zipRight(Deferred.await(listening).pipe(Effect.timeout(Duration.millis(100)))),
      Effect.retry({ times: 50 }),
      Effect.ignoreLogged
    )
    yield* Queue.offer(wake, undefined)
    yield* Queue.take(wake).pipe(Effect.zipRight(scan), Effect.forever, Effect.forkScoped)
    yield* Queue.offer(wake, undefined).pipe(
      Effect.delay(config.pollInterval),
      Effect.forever,
      Effect.forkScoped
    )
    yield* Effect.addFinalizer(() => Effect.logDebug("Sender: stopping; calls in flight finish first"))

    /** Looks for pending rows now (the notification and the poll do this on their own). */
    const poke = Queue.offer(wake, undefined).pipe(Effect.asVoid)
    return { poke } as const
  }),
  dependencies: [
    Outbox.Default,
    BotApi.Default,
    RateLimiter.Default,
    Connections.Default,
    Notifications.Default
  ]
}) {}
