import { Effect, FiberSet, Queue, Ref, Schedule, Stream } from "effect"
import { journalChannel } from "../actors/Timers.ts"
import { Notifications } from "../sql/Notifications.ts"
import { WebhookJournal } from "./WebhookJournal.ts"
import { WebhookSender, WebhookSenderConfig } from "./WebhookSender.ts"

/**
 * Runs outbound webhooks for the life of its scope: reads the journal into deliveries (woken by
 * the journal's notifications, and polling), and sends due deliveries, up to `concurrency` at a
 * time, each in a fiber of its own, so a slow receiver holds up only its own delivery.
 */
export class WebhookWorker extends Effect.Service<WebhookWorker>()("app/WebhookWorker", {
  scoped: Effect.gen(function* () {
    const reader = yield* WebhookJournal
    const sender = yield* WebhookSender
    const config = yield* WebhookSenderConfig
    const notifications = yield* Notifications
    const wake = yield* Queue.sliding<void>(1)
    const inFlight = yield* Ref.make(0)
    const running = yield* FiberSet.make<unknown, never>()
    yield* reader.cursor

    yield* notifications.listen(journalChannel).pipe(
      Stream.runForEach(() => Queue.offer(wake, undefined)),
      Effect.retry(Schedule.spaced(config.pollInterval)),
      Effect.forkScoped
    )

    const round = Effect.gen(function* () {
      yield* reader.readAll
      const free = config.concurrency - (yield* Ref.get(inFlight))
      if (free <= 0) return
      for (const delivery of yield* sender.claim(free)) {
        yield* Ref.update(inFlight, (n) => n + 1)
        yield* FiberSet.run(
          running,
          sender.send(delivery).pipe(
            Effect.catchAllCause((cause) =>
              Effect.logError(`webhooks: delivery ${delivery.id} failed`, cause)
            ),
            Effect.ensuring(Ref.update(inFlight, (n) => n - 1)),
            Effect.zipRight(Queue.offer(wake, undefined))
          )
        )
      }
    })

    yield* round.pipe(
      Effect.catchAllCause((cause) => Effect.logError("webhooks: a round failed; trying again", cause)),
      Effect.zipRight(Effect.sleep(config.readGap)),
      Effect.zipRight(Effect.race(Queue.take(wake), Effect.sleep(config.pollInterval))),
      Effect.forever,
      Effect.forkScoped
    )
    yield* Effect.logInfo("webhooks: outbound webhooks running (journal → deliveries → receivers)")
    /** Wakes the worker now (a new delivery). */
    return { poke: Queue.offer(wake, undefined) } as const
  }),
  dependencies: [WebhookJournal.Default, WebhookSender.Default]
}) {}
