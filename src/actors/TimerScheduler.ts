import { Context, Duration, Effect, Queue, Schedule, Stream } from "effect"
import { timerChannel, Timers } from "./Timers.ts"
import { Notifications } from "../sql/Notifications.ts"

/** How the TimerScheduler looks for due timers. */
export class TimerSchedulerConfig extends Context.Reference<TimerSchedulerConfig>()(
  "app/TimerSchedulerConfig",
  { defaultValue: () => ({ pollInterval: Duration.seconds(1), batch: 500 }) }
) {}

/**
 * Fires due timers (Timers.fireDue): it sleeps until the next one is due, or `pollInterval` at
 * most, and wakes early when a timer is set. A timer that fell due while Backline was down fires
 * at start-up.
 */
export class TimerScheduler extends Effect.Service<TimerScheduler>()("app/TimerScheduler", {
  scoped: Effect.gen(function* () {
    const timers = yield* Timers
    const notifications = yield* Notifications
    const config = yield* TimerSchedulerConfig
    const wake = yield* Queue.sliding<void>(1)
    const poll = Duration.toMillis(config.pollInterval)

    yield* notifications.listen(timerChannel).pipe(
      Stream.runForEach(() => Queue.offer(wake, undefined)),
      Effect.retry(Schedule.spaced(config.pollInterval)),
      Effect.forkScoped
    )
    const tick: Effect.Effect<void> = Effect.gen(function* () {
      const { fired, nextInMs } = yield* timers.fireDue(config.batch)
      if (fired === config.batch) return
      const wait = Math.min(poll, Math.max(0, nextInMs ?? poll))
      yield* Effect.raceFirst(Effect.sleep(Duration.millis(wait)), Queue.take(wake))
    }).pipe(
      Effect.catchAllCause((cause) =>
        Effect.logError("TimerScheduler: firing timers failed", cause).pipe(
          Effect.zipRight(Effect.sleep(config.pollInterval))
        )
      )
    )
    yield* Effect.forever(tick).pipe(Effect.forkScoped)
    return {} as const
  }),
  dependencies: [Timers.Default, Notifications.Default]
}) {}
