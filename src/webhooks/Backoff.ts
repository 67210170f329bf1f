import { Duration } from "effect"

/** How long Backline keeps trying one delivery, and after how long of failing a subscription is disabled. */
export const giveUpAfter = Duration.hours(24)

/** The wait before the first retry; each later one doubles, up to `maxDelay`. */
export const firstDelay = Duration.seconds(5)
export const maxDelay = Duration.hours(1)

/**
 * The wait after the `attempt`-th failed try (1 for the first): 5 s doubling up to 1 h, times a
 * jitter factor from 0.8 to 1.2 (`random` in [0, 1)), so receivers coming back are not hit by every
 * retry at once.
 */
export const retryDelay = (attempt: number, random: number): Duration.Duration => {
  const base = Math.min(
    Duration.toMillis(firstDelay) * 2 ** Math.max(0, attempt - 1),
    Duration.toMillis(maxDelay)
  )
  return Duration.millis(Math.round(base * (0.8 + 0.4 * random)))
}

/**
 * When to try again after the `attempt`-th failure at `now` of a delivery made at `createdAt`
 * (ms since epoch), or `undefined` when the next try would fall after `giveUpAfter`: it has failed.
 */
export const nextAttemptAt = (attempt: number, createdAt: number, now: number, random: number) => {
  const at = now + Duration.toMillis(retryDelay(attempt, random))
  return at - createdAt > Duration.toMillis(giveUpAfter) ? undefined : at
}

/** Whether a subscription failing since `failingSince` (ms since epoch) has failed for a day at `now`. */
export const failedForADay = (failingSince: number, now: number) =>
  now - failingSince >= Duration.toMillis(giveUpAfter)
