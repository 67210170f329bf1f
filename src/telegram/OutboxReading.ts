import { SqlClient } from "@effect/sql"
import { Deferred, Duration, Effect, Queue, Schedule, Stream } from "effect"
import type { Notifications } from "../sql/Notifications.ts"
import { Outbox, outboxChannel, type OutboxRow } from "./Outbox.ts"
import type { OutboxFeed } from "./OutboxFeed.ts"
import type { outboxTracker } from "./OutboxTracker.ts"

/**
 * How the Sender comes by pending rows, on one fiber for the life of the scope: the rows step
 * commits hand over (`OutboxFeed`), and from the table the new rows on an `outbox` notification and
 * every pending row not in a lane on each poll. `hold` puts rows in their lanes (`read`: from the
 * table). Answers `poke`, which reads the table's new rows now.
 */
export const outboxReading = (options: {
  readonly outbox: Outbox
  readonly notifications: Notifications
  readonly feed: OutboxFeed
  readonly tracker: ReturnType<typeof outboxTracker>
  readonly hold: (rows: ReadonlyArray<OutboxRow>, read: boolean) => void
  readonly pollInterval: Duration.DurationInput
}) =>
  Effect.gen(function* () {
    const { outbox, tracker, hold } = options
    const sql = yield* SqlClient.SqlClient
    const wake = yield* Queue.sliding<void>(1)
    /** Rows handed over by step commits, not yet in lanes. */
    let handedOver: Array<OutboxRow> = []
    /** Whether the table is to be read for new rows (a notification came), or in full (the poll). */
    let readDue = true
    let pollDue = true

    /** Runs one read of the outbox; rows settled since it began are left out (see OutboxTracker). */
    const read = <A extends ReadonlyArray<OutboxRow>>(query: Effect.Effect<A>) =>
      Effect.map(
        Effect.flatMap(Effect.sync(tracker.readBegins), (number) =>
          Effect.map(query, (found) => [number, found] as const)
        ),
        ([number, found]) => {
          hold(found, true)
          tracker.readEnded(number)
          return found
        }
      )

    /** Reads the rows added since the last read. */
    const readNew = Effect.gen(function* () {
      for (;;) {
        const found = yield* read(outbox.pendingAfter(tracker.readAt(), 1_000))
        if (found.length < 1_000) return
      }
    })

    /** Reads every pending row not in a lane, such as the rows of a lane that stopped on a failure. */
    const readMissing = Effect.gen(function* () {
      const missing = (yield* outbox.pendingIds).filter((id) => !tracker.holds(id))
      for (let i = 0; i < missing.length; i += 1_000)
        yield* read(outbox.pendingOf(missing.slice(i, i + 1_000)))
    })

    const scan = (full: boolean) =>
      Effect.zipRight(readNew, full ? readMissing : Effect.void).pipe(
        Effect.catchAllCause((cause) => Effect.logError("Sender: scan failed", cause))
      )

    const readNow = Effect.suspend(() => {
      readDue = true
      return Queue.offer(wake, undefined)
    })

    const listening = yield* Deferred.make<void>()
    yield* options.notifications.listen(outboxChannel).pipe(
      Stream.runForEach(() => Effect.zipRight(Deferred.succeed(listening, undefined), readNow)),
      Effect.tapErrorCause((cause) => Effect.logWarning("Sender: listening for the outbox failed", cause)),
      Effect.retry(Schedule.spaced(options.pollInterval)),
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
    yield* options.feed.attach((rows) => {
      handedOver.push(...rows)
      Queue.unsafeOffer(wake, undefined)
    })
    yield* Queue.offer(wake, undefined)
    yield* Queue.take(wake).pipe(
      Effect.flatMap(() =>
        Effect.suspend(() => {
          const rows = handedOver
          handedOver = []
          if (rows.length > 0) hold(rows, false)
          const [reading, full] = [readDue || pollDue, pollDue]
          readDue = pollDue = false
          return reading ? scan(full) : Effect.void
        })
      ),
      Effect.forever,
      Effect.forkScoped
    )
    yield* Effect.suspend(() => {
      pollDue = true
      return Queue.offer(wake, undefined)
    }).pipe(Effect.delay(options.pollInterval), Effect.forever, Effect.forkScoped)

    return { poke: readNow } as const
  })
