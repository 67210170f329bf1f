import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Fiber, Layer, TestClock } from "effect"
import { ConnectionId } from "../../../src/domain/Ids.ts"
import {
  RateLimiter,
  RateLimiterConfig,
  telegramLimits,
  weightOf,
  type RateLimits,
  type Weight
} from "../../../src/telegram/RateLimiter.ts"

const bot = ConnectionId.make("bot:7000000001")
const otherBot = ConnectionId.make("bot:7000000002")
const exact: RateLimits = { ...telegramLimits, headroom: 0 }

const withLimiter = <A, E>(limits: RateLimits, body: (limiter: RateLimiter) => Effect.Effect<A, E>) =>
  Effect.flatMap(RateLimiter, body).pipe(
    Effect.provide(RateLimiter.Default.pipe(Layer.provide(Layer.succeed(RateLimiterConfig, limits))))
  )

/** When (test-clock ms after the start) each call was allowed, acquiring one after another. */
const timesOf = (calls: ReadonlyArray<Effect.Effect<void>>) =>
  Effect.gen(function* () {
    const start = yield* Clock.currentTimeMillis
    const times: Array<number> = []
    for (const call of calls) {
      yield* call
      times.push((yield* Clock.currentTimeMillis) - start)
    }
    return times
  })

/** Runs `calls` in a fiber while the clock moves `ms` forward. */
const run = (calls: ReadonlyArray<Effect.Effect<void>>, ms = 600_000) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(timesOf(calls))
    yield* TestClock.adjust(ms)
    return yield* Fiber.join(fiber)
  })

const repeat = <A>(n: number, make: (i: number) => A): Array<A> =>
  Array.from({ length: n }, (_, i) => make(i))

describe("RateLimiter", () => {
  it.scoped("lets a private chat burst 3 messages, then one a second", () =>
    withLimiter(exact, (limiter) =>
      Effect.gen(function* () {
        const times = yield* run(repeat(5, () => limiter.acquire(bot, 1001)))
        expect(times).toEqual([0, 0, 0, 1000, 2000])
      })
    )
  )

  it.scoped("lets a group burst 20 messages, then one every 3 s; timeScale 0.1 runs ten times faster", () =>
    Effect.gen(function* () {
      const normal = yield* withLimiter(exact, (limiter) => run(repeat(22, () => limiter.acquire(bot, -100))))
      expect(normal.slice(0, 20)).toEqual(repeat(20, () => 0))
      expect(normal.slice(20)).toEqual([3000, 6000])
      const fast = yield* withLimiter({ ...exact, timeScale: 0.1 }, (limiter) =>
        run(repeat(22, () => limiter.acquire(bot, -100)))
      )
      expect(fast.slice(20)).toEqual([300, 600])
    })
  )

  it.scoped("limits a bot to 30 messages a second across chats, each bot on its own", () =>
    withLimiter(exact, (limiter) =>
      Effect.gen(function* () {
        const times = yield* run(repeat(32, (i) => limiter.acquire(bot, 2000 + i)))
        expect(times.slice(0, 30)).toEqual(repeat(30, () => 0))
        // 1/30 s per message, rounded up to the millisecond the clock can wait.
        expect(times.slice(30)).toEqual([34, 67])
        const other = yield* run([limiter.acquire(otherBot, 2000)])
        expect(other).toEqual([0])
      })
    )
  )

  it.scoped("serves a group waiting for the bot's budget before private chats that came earlier", () =>
    withLimiter(exact, (limiter) =>
      Effect.gen(function* () {
        yield* Effect.forEach(
          repeat(30, (i) => i),
          (i) => limiter.acquire(bot, 3000 + i)
        )
        const order: Array<string> = []
        const waiter = (name: string, chat: number) =>
          Effect.fork(
            Effect.zipRight(
              limiter.acquire(bot, chat),
              Effect.sync(() => order.push(name))
            )
          )
        const fibers = [
          yield* waiter("private 1", 4001),
          yield* waiter("private 2", 4002),
          yield* waiter("group", -200),
          yield* waiter("private 3", 4003)
        ]
        yield* TestClock.adjust(1000)
        yield* Fiber.joinAll(fibers)
        expect(order).toEqual(["group", "private 1", "private 2", "private 3"])
      })
    )
  )

  it.scoped("keeps headroom: by default a fifth of each burst is left to Telegram", () =>
    withLimiter(telegramLimits, (limiter) =>
      Effect.gen(function* () {
        // A private chat's burst of 3 becomes 2.4: two at once, the third when 0.6 s more is earned.
        expect(yield* run(repeat(3, () => limiter.acquire(bot, 5001)))).toEqual([0, 0, 600])
      })
    )
  )

  it.scoped("counts calls that post nothing against the bot only, and albums as their size", () =>
    withLimiter(exact, (limiter) =>
      Effect.gen(function* () {
        const deletion: Weight = weightOf("deleteMessage", { message_id: 5 })
        expect(deletion).toEqual({ count: 1, perChat: false })
        expect(weightOf("createForumTopic", { name: "x" })).toEqual({ count: 1, perChat: false })
        expect(weightOf("sendMediaGroup", { media: [1, 2, 3, 4] })).toEqual({ count: 4, perChat: true })
        expect(weightOf("sendmessage", {})).toEqual({ count: 1, perChat: true })
        const times = yield* run([
          ...repeat(20, () => limiter.acquire(bot, -300)),
          limiter.acquire(bot, -300, deletion),
          limiter.acquire(bot, -300, weightOf("sendMediaGroup", { media: [1, 2] }))
        ])
        // The deletion passes at once; the album waits for two messages of the group's budget (6 s).
        expect(times.slice(19)).toEqual([0, 0, 6000])
      })
    )
  )

  it.scoped("lets calls to one chat made at once (a forum's topics) take turns, so its budget holds", () =>
    withLimiter(exact, (limiter) =>
      Effect.gen(function* () {
        const started: Array<number> = []
        // Each call holds one of the bot's 6 slots for 100 ms, so most wait for a slot after their chat's budget.
        const call = Effect.zipRight(
          Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => started.push(now))),
          Effect.sleep(100)
        )
        const fibers = yield* Effect.forEach(
          repeat(22, () => limiter.withBudget(bot, -400)(call)),
          (effect) => Effect.fork(effect)
        )
        yield* TestClock.adjust(10_000)
        yield* Fiber.joinAll(fibers)
        expect(started.slice(0, 20).every((at) => at < 3000)).toBe(true)
        expect(started.slice(20)).toEqual([3000, 6000])
      })
    )
  )

  it.scoped("keeps no budgets when disabled, only the bot's calls in flight (inFlightWithoutLimits)", () =>
    withLimiter({ ...exact, enabled: false, inFlightWithoutLimits: 6 }, (limiter) =>
      Effect.gen(function* () {
        expect(
          yield* run(
            repeat(50, () => limiter.acquire(bot, 1)),
            0
          )
        ).toEqual(repeat(50, () => 0))
        const started: Array<number> = []
        const call = Effect.zipRight(
          Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => started.push(now))),
          Effect.sleep(100)
        )
        const fibers = yield* Effect.forEach(
          repeat(8, () => limiter.withBudget(bot, -400)(call)),
          (effect) => Effect.fork(effect)
        )
        yield* TestClock.adjust(1000)
        yield* Fiber.joinAll(fibers)
        expect(started).toEqual([...repeat(6, () => 0), 100, 100])
      })
    )
  )
})
