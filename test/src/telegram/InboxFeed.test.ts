import { it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { describe, expect } from "vitest"
import { ConnectionId } from "../../../src/domain/Ids.ts"
import { InboxFeed, inboxKey, type InboxItem } from "../../../src/telegram/InboxFeed.ts"

const connection = ConnectionId.make("bot:7")
const item = (updateId: number): InboxItem => ({
  connection,
  updateId,
  payload: { update_id: updateId },
  events: []
})
const key = (updateId: number) => inboxKey({ connection, updateId })

describe("InboxFeed", () => {
  it.scoped(
    "keeps a row the Gateway reserved from a read of the table, from its commit until it is handed over",
    () =>
      Effect.gen(function* () {
        const feed = yield* InboxFeed
        yield* feed.attach
        // Row 3 was handed over; row 4 is reserved and committed, not yet published.
        expect([...feed.reserve([key(3)])]).toEqual([key(3)])
        yield* feed.publish([item(3)])
        expect([...feed.reserve([key(4)])]).toEqual([key(4)])
        // A read of the table finding rows 3 and 4 pending takes neither (and takes row 2, an older one).
        expect(feed.claim([key(2), key(3), key(4)])).toEqual([key(2)])
        yield* feed.publish([item(4)])
        const { items } = yield* feed.take
        expect(items.map((one) => one.updateId)).toEqual([3, 4])
        // Settled, they can be claimed again (a later read finds them done, not pending).
        feed.release([key(2), key(3), key(4)])
        expect(feed.claim([key(3)])).toEqual([key(3)])
      }).pipe(Effect.provide(InboxFeed.Default))
  )

  it.scoped(
    "reserves and keeps nothing while no Router reads it, and lets published rows go once it stops",
    () =>
      Effect.gen(function* () {
        const feed = yield* InboxFeed
        expect(feed.reading()).toBe(false)
        expect([...feed.reserve([key(1)])]).toEqual([])
        const reader = yield* Effect.fork(Effect.scoped(Effect.zipRight(feed.attach, Effect.never)))
        yield* Effect.yieldNow()
        expect(feed.reading()).toBe(true)
        feed.reserve([key(5)])
        yield* feed.publish([item(5)])
        yield* Fiber.interrupt(reader)
        // Row 5 was never taken: it waits in the table, where a later Router claims it.
        expect(feed.reading()).toBe(false)
        expect(feed.claim([key(5)])).toEqual([key(5)])
      }).pipe(Effect.provide(InboxFeed.Default))
  )
})
