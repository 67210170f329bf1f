import { PgClient } from "@effect/sql-pg"
import { Deferred, Duration, Effect, PubSub, Redacted, Schedule, Stream } from "effect"
import pg from "pg"

/**
 * PostgreSQL notifications for the whole process on one dedicated connection: each channel is
 * LISTENed once, one statement at a time, and re-LISTENed after the connection is lost. Unlike
 * `PgClient.listen` in sql-pg 0.53, an empty payload is delivered too (as ""). Each channel has a
 * hub of its own, so a notice wakes only the listeners of its channel.
 */
export class Notifications extends Effect.Service<Notifications>()("app/Notifications", {
  scoped: Effect.gen(function* () {
    const url = (yield* PgClient.PgClient).config.url
    const hubs = new Map<string, PubSub.PubSub<string>>()
    const hubOf = (channel: string) =>
      Effect.suspend(() => {
        const found = hubs.get(channel)
        if (found !== undefined) return Effect.succeed(found)
        return Effect.tap(PubSub.unbounded<string>(), (made) => Effect.sync(() => hubs.set(channel, made)))
      })
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
      next.on("notification", (message) => hubs.get(message.channel)?.unsafeOffer(message.payload ?? ""))
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
          const subscription = yield* PubSub.subscribe(yield* lock.withPermits(1)(hubOf(channel)))
          yield* lock.withPermits(1)(
            Effect.suspend(() => {
              if (channels.has(channel)) return Effect.void
              channels.add(channel)
              return client === undefined ? Effect.void : listenOn(client, channel)
            })
          )
          return Stream.fromQueue(subscription)
        })
      )

    return { listen } as const
  })
}) {}
