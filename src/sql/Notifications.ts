import { PgClient } from "@effect/sql-pg"
import { Deferred, Duration, Effect, PubSub, Redacted, Schedule, Stream } from "effect"
import pg from "pg"

interface Notice {
  readonly channel: string
  readonly payload: string
}

/**
 * PostgreSQL notifications for the whole process on one dedicated connection: each channel is
 * LISTENed once, one statement at a time, and re-LISTENed after the connection is lost. Unlike
 * `PgClient.listen` in sql-pg 0.53, an empty payload is delivered too (as "").
 */
export class Notifications extends Effect.Service<Notifications>()("app/Notifications", {
  scoped: Effect.gen(function* () {
    const url = (yield* PgClient.PgClient).config.url
    const hub = yield* PubSub.unbounded<Notice>()
    const channels = new Set<string>()
    const lock = yield* Effect.makeSemaphore(1)
    let client: pg.Client | undefined

    const listenOn = (target: pg.Client, channel: string) =>
      Effect.promise(() => target.query(`LISTEN ${pg.escapeIdentifier(channel)}`))

    // Connects, LISTENs to every channel asked for so far, and waits until the connection ends.
    const session = Effect.gen(function* () {
      const ended = yield* Deferred.make<void>()
      const next = new pg.Client({
        connectionString: url === undefined ? undefined : Redacted.value(url),
        application_name: "backline-listen"
      })
      next.on("notification", (message) =>
        hub.unsafeOffer({ channel: message.channel, payload: message.payload ?? "" })
      )
      next.on("error", () => Deferred.unsafeDone(ended, Effect.void))
      next.on("end", () => Deferred.unsafeDone(ended, Effect.void))
      yield* Effect.acquireRelease(
        Effect.tryPromise(() => next.connect()),
        () => Effect.promise(() => next.end().catch(() => undefined))
      )
      yield* lock.withPermits(1)(
        Effect.gen(function* () {
          for (const channel of channels) yield* listenOn(next, channel)
          client = next
        })
      )
      yield* Deferred.await(ended)
      client = undefined
    }).pipe(Effect.scoped)

    yield* session.pipe(
      Effect.catchAllCause((cause) => Effect.logWarning("listening for notifications failed", cause)),
      Effect.repeat(Schedule.spaced(Duration.seconds(1))),
      Effect.forkScoped
    )

    /** The payloads notified on `channel` from now on. */
    const listen = (channel: string): Stream.Stream<string> =>
      Stream.unwrapScoped(
        Effect.gen(function* () {
          const subscription = yield* PubSub.subscribe(hub)
          yield* lock.withPermits(1)(
            Effect.suspend(() => {
              if (channels.has(channel)) return Effect.void
              channels.add(channel)
              return client === undefined ? Effect.void : listenOn(client, channel)
            })
          )
          return Stream.fromQueue(subscription).pipe(
            Stream.filter((notice) => notice.channel === channel),
            Stream.map((notice) => notice.payload)
          )
        })
      )

    return { listen } as const
  })
}) {}
