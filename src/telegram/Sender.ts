import { SqlClient } from "@effect/sql"
import { Cause, Clock, Context, Duration, Effect, Either, Exit, FiberSet, Metric, Option } from "effect"
import type { ConnectionId } from "../domain/Ids.ts"
import { BotApi, type BotApiFailure } from "./BotApi.ts"
import { Connections, type BotConnection } from "./Connections.ts"
import { comesBefore, Outbox, type OutboxRow } from "./Outbox.ts"
import { outboxReading } from "./OutboxReading.ts"
import { outboxTracker } from "./OutboxTracker.ts"
import { dropUploads, uploadsOf, withUploads } from "./OutboxUploads.ts"
import { OutboxFeed } from "./OutboxFeed.ts"
import { RateLimiter, weightOf } from "./RateLimiter.ts"
import { taggedCounters } from "../http/TaggedCounter.ts"
import { groupWriter } from "../sql/GroupWriter.ts"
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
    maxAttempts: 20,
    /** Most sent calls recorded in one statement. */
    recordBatch: 256
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

const sends = taggedCounters(sendsTotal, "method", "result")
const count = (method: string, result: "sent" | "failed" | "retried" | "rate_limited"): Effect.Effect<void> =>
  Metric.increment(sends(method, result))

/** What each log line about a row says of it. */
const annotationsOf = (row: OutboxRow) => ({ connection: row.connection, chat: row.chatId, outbox: row.id })

/** A row's lane: its connection, chat and forum topic. */
const laneOf = (row: {
  readonly connection: string
  readonly chatId: number
  readonly topic: string | null
}) => `${row.connection}|${row.chatId}|${row.topic ?? ""}`

/** A lane's pending rows, oldest first; `running` while a fiber sends them. */
interface Lane {
  readonly rows: Array<OutboxRow>
  running: boolean
}

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
    const feed = yield* OutboxFeed
    // Connections looked up again after a minute, so a changed token or a disabled bot is seen.
    const bots = new Map<
      ConnectionId,
      { readonly bot: Option.Option<BotConnection>; readonly until: number }
    >()
    const botOf = (id: ConnectionId): Effect.Effect<Option.Option<BotConnection>> => {
      const known = bots.get(id)
      if (known !== undefined && known.until > Date.now()) return Effect.succeed(known.bot)
      return Effect.tap(connections.get(id), (bot) => {
        bots.set(id, { bot, until: Date.now() + 60_000 })
      })
    }
    const lanes = new Map<string, Lane>()
    // A settled row is remembered for 10 s at least: a hand-over comes within milliseconds.
    const tracker = outboxTracker({ settledFor: 10_000, now: Date.now })

    const later = (ms: number) => Effect.map(Clock.currentTimeMillis, (now) => new Date(now + ms))

    // Sent calls are recorded together: one statement, one at a time, for every call answered
    // meanwhile (two at a time made statements half the size for the same work).
    const recorder = yield* groupWriter({ write: outbox.sentAll, max: config.recordBatch, writers: 1 })
    // Made after the recorder, so at shutdown the lanes' calls in flight finish and are recorded
    // before the recorder stops: first those made outside fibers (`sendAtOnce`), which the Sender
    // counts and waits for (settling one may still fork), then the fibers' own.
    const fibers = yield* FiberSet.make()
    const fork = yield* FiberSet.runtime(fibers)<never>()
    let atOnce = 0
    let closing = false
    let drained: (() => void) | undefined
    const settledAtOnce = () => {
      atOnce -= 1
      if (atOnce === 0) drained?.()
    }
    yield* Effect.addFinalizer(() =>
      Effect.async<void>((resume) => {
        closing = true
        if (atOnce === 0) return resume(Effect.void)
        drained = () => resume(Effect.void)
      })
    )
    /** Records the outcome of a call; answers the row again (updated) if it is to be retried. */
    const settle = (
      row: OutboxRow,
      outcome: Either.Either<unknown, BotApiFailure>
    ): Effect.Effect<Option.Option<OutboxRow>> =>
      Either.isRight(outcome)
        ? Effect.zipRight(
            count(row.method, "sent"),
            Effect.as(recorder.write({ row, result: outcome.right }), Option.none())
          )
        : unsent(row, outcome.left).pipe(Effect.annotateLogs(annotationsOf(row)))

    /** Records a call Telegram did not take: failed for good, or to be retried. */
    const unsent = (row: OutboxRow, failure: BotApiFailure) =>
      Effect.gen(function* () {
        if (failure._tag === "PermanentFailure") {
          yield* count(row.method, "failed")
          yield* Effect.logWarning(`${row.method} failed: ${failure.code} ${failure.description}`)
          yield* outbox.failed(row, failure.code, failure.description)
          return Option.none<OutboxRow>()
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
          yield* outbox.failed(
            row,
            failure.code ?? 0,
            `gave up after ${attempts} attempts: ${failure.reason}`
          )
          return Option.none<OutboxRow>()
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

    /** The call, made once it is within the limits; the row's outcome recorded before its slot is let go. */
    const callFor = (
      bot: BotConnection,
      row: OutboxRow,
      params: Readonly<Record<string, unknown>>,
      uploads: ReadonlyArray<readonly [string, number]>
    ) => {
      // Once the call has left, it finishes and is recorded even if the Sender is shutting down
      // (the RateLimiter's waits before it stay interruptible). It holds its call slot until
      // recorded, so a crash loses the outcome of at most the bot's calls in flight.
      const call = Effect.flatMap(Effect.either(botApi.call(bot, row.method, params, false)), (outcome) =>
        uploads.length > 0 && (Either.isRight(outcome) || outcome.left._tag === "PermanentFailure")
          ? // Once recorded, an upload Telegram took or refused is not needed again (a retried one is).
            Effect.zipLeft(settle(row, outcome), dropUploads(sql, uploads))
          : settle(row, outcome)
      )
      return limiter
        .withBudget(
          row.connection,
          row.chatId,
          weightOf(row.method, row.params)
        )(call)
        .pipe(Effect.uninterruptible)
    }

    /** Sends one row once its time has come; answers it again (updated) if it is to be retried. */
    const send = (row: OutboxRow): Effect.Effect<Option.Option<OutboxRow>> => {
      const attempt = Effect.flatMap(botOf(row.connection), (bot) => {
        if (Option.isNone(bot))
          return Effect.as(outbox.failed(row, 0, `unknown connection ${row.connection}`), Option.none())
        const given = "chat_id" in row.params ? row.params : { ...row.params, chat_id: row.chatId }
        const uploads = uploadsOf(given)
        return uploads.length === 0
          ? callFor(bot.value, row, given, uploads)
          : Effect.flatMap(withUploads(sql, given, uploads), (params) =>
              callFor(bot.value, row, params, uploads)
            )
      })
      if (row.notBefore === null) return attempt
      const notBefore = row.notBefore.getTime()
      return Effect.zipRight(
        Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sleep(Math.max(0, notBefore - now))),
        attempt
      )
    }

    /** Lets a lane go: synchronously with finding it empty, so a row put in it meanwhile starts a new one. */
    const drop = (key: string, lane: Lane) => {
      lane.running = false
      if (lanes.get(key) === lane) lanes.delete(key)
    }

    /** Moves a lane past its head row once that is settled: sent or failed, or updated to be retried. */
    const settleHead = (lane: Lane, row: OutboxRow, retry: Option.Option<OutboxRow>) => {
      if (Option.isSome(retry)) lane.rows[0] = retry.value
      else {
        lane.rows.shift()
        tracker.settle(row.id)
      }
    }

    /** A lane that failed: its rows are let go, to be read again from the outbox at the next scan. */
    const laneStopped = (key: string, lane: Lane, cause: Cause.Cause<unknown>) =>
      Effect.logError("Sender: lane stopped; it resumes at the next scan", cause).pipe(
        Effect.zipRight(
          Effect.sync(() => {
            for (const row of lane.rows.splice(0)) tracker.release(row.id)
            drop(key, lane)
          })
        )
      )

    /** Once `settled` has settled the lane's head row, goes on with the lane. */
    const thenAdvance = (
      key: string,
      lane: Lane,
      row: OutboxRow,
      settled: Effect.Effect<Option.Option<OutboxRow>>
    ) =>
      settled.pipe(
        Effect.flatMap((retry) => Effect.sync(() => (settleHead(lane, row, retry), advance(key, lane)))),
        Effect.catchAllCause((cause) => laneStopped(key, lane, cause)),
        Effect.onInterrupt(() => Effect.sync(() => drop(key, lane)))
      )

    /**
     * Sends the lane's head row outside any fiber when nothing but a call slot needs waiting for:
     * its time has come, its bot is known, it uploads no file, and the RateLimiter grants its budget
     * now (with the limits off: as soon as a slot is free). Answers whether it does. The outcome is
     * settled as `send` settles it, and the call holds its slot until then.
     */
    const sendAtOnce = (key: string, lane: Lane, row: OutboxRow): boolean => {
      const now = Date.now()
      if (row.notBefore !== null && row.notBefore.getTime() > now) return false
      const known = bots.get(row.connection)
      if (known === undefined || known.until <= now || Option.isNone(known.bot)) return false
      const bot = known.bot.value
      const params = "chat_id" in row.params ? row.params : { ...row.params, chat_id: row.chatId }
      if (uploadsOf(params).length > 0) return false
      const call = (release: () => void) => {
        if (closing) return (release(), drop(key, lane))
        atOnce += 1
        const done = () => {
          release()
          settledAtOnce()
        }
        void botApi.request(bot, row.method, params).then((outcome) => {
          if (Either.isLeft(outcome)) {
            const settled = unsent(row, outcome.left).pipe(
              Effect.annotateLogs(annotationsOf(row)),
              Effect.ensuring(Effect.sync(done))
            )
            return fork(thenAdvance(key, lane, row, settled))
          }
          sends(row.method, "sent").unsafeUpdate(1, [])
          recorder.submit({ row, result: outcome.right }, (exit) => {
            done()
            if (Exit.isFailure(exit)) return void fork(laneStopped(key, lane, exit.cause))
            settleHead(lane, row, Option.none())
            advance(key, lane)
          })
        })
      }
      if (!limiter.limits.enabled) {
        limiter.whenSlot(row.connection, row.chatId, call)
        return true
      }
      const release = limiter.tryAcquire(row.connection, row.chatId, weightOf(row.method, row.params))
      if (release === undefined) return false
      call(release)
      return true
    }

    /** Goes on with a lane: its head row at once if it can, else in a fiber of its own; an empty lane is let go. */
    function advance(key: string, lane: Lane): void {
      const row = lane.rows[0]
      if (row === undefined || closing) return drop(key, lane)
      // Through the RateLimiter's waits and its retries.
      if (!sendAtOnce(key, lane, row)) fork(thenAdvance(key, lane, row, send(row)))
    }

    /** Puts pending rows not yet seen in their lanes, in (txid, id) order, and starts the lanes that wait. */
    const hold = (found: ReadonlyArray<OutboxRow>, read: boolean) => {
      const started = new Set<string>()
      for (const row of tracker.admit(found, read)) {
        const key = laneOf(row)
        let lane = lanes.get(key)
        if (lane === undefined) {
          lane = { rows: [], running: false }
          lanes.set(key, lane)
        }
        // A row read again (its lane had stopped) takes its place in order, behind the row in flight.
        let at = lane.rows.length
        while (at > (lane.running ? 1 : 0) && comesBefore(row, lane.rows[at - 1]!)) at--
        lane.rows.splice(at, 0, row)
        if (!lane.running) started.add(key)
      }
      for (const key of started) {
        const lane = lanes.get(key)!
        lane.running = true
        advance(key, lane)
      }
    }

    const reading = yield* outboxReading({
      outbox,
      notifications,
      feed,
      tracker,
      hold,
      pollInterval: config.pollInterval
    })

    yield* Effect.addFinalizer(() => Effect.logDebug("Sender: stopping; calls in flight finish first"))

    /** Looks for pending rows now (the notification and the poll do this on their own). */
    return { poke: reading.poke } as const
  }),
  dependencies: [
    OutboxFeed.Default,
    Outbox.Default,
    BotApi.Default,
    RateLimiter.Default,
    Connections.Default,
    Notifications.Default
  ]
}) {}
