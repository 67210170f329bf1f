import { describe, expect, it } from "vitest"
import { ConnectionId } from "../../../src/domain/Ids.ts"
import { rowOfEntry } from "../../../src/telegram/Outbox.ts"
import { outboxTracker } from "../../../src/telegram/OutboxTracker.ts"

const row = (id: number, txid: string) =>
  rowOfEntry(
    { connection: ConnectionId.make("bot:7"), chatId: 42, method: "sendMessage", params: { text: `m${id}` } },
    id,
    txid
  )

/** A tracker on a clock the test moves. */
const tracked = () => {
  let now = 0
  const tracker = outboxTracker({ settledFor: 10_000, now: () => now })
  return { tracker, advance: (ms: number) => (now += ms) }
}

describe("OutboxTracker", () => {
  it("admits a row once, whether read from the table or handed over, while it is in a lane", () => {
    const { tracker } = tracked()
    expect(tracker.admit([row(1, "100")], false).map((one) => one.id)).toEqual([1])
    const read = tracker.readBegins()
    expect(tracker.admit([row(1, "100"), row(2, "101")], true).map((one) => one.id)).toEqual([2])
    tracker.readEnded(read)
    expect(tracker.holds(1) && tracker.holds(2)).toBe(true)
    // Only rows read from the table move the reading position.
    expect(tracker.readAt()).toEqual({ txid: "101", id: 2 })
  })

  it("does not admit a row handed over late, after a table read found it and it was sent", () => {
    const { tracker, advance } = tracked()
    const first = tracker.readBegins()
    tracker.admit([row(5, "200")], true)
    tracker.readEnded(first)
    tracker.settle(5) // sent and recorded
    // Further reads end before the commit's hand-over of the same row arrives.
    for (let i = 0; i < 3; i++) tracker.readEnded(tracker.readBegins())
    advance(50)
    expect(tracker.admit([row(5, "200")], false)).toEqual([])
  })

  it("leaves out rows a running read may still show pending, and forgets settled rows once old and no read can", () => {
    const { tracker, advance } = tracked()
    tracker.admit([row(7, "300")], false)
    const running = tracker.readBegins()
    tracker.settle(7)
    advance(20_000)
    // The read began before row 7 was settled: its snapshot may show it pending.
    expect(tracker.admit([row(7, "300")], true)).toEqual([])
    tracker.readEnded(running)
    expect(tracker.admit([row(7, "300")], false)).toEqual([]) // still: settled during that read
    tracker.readEnded(tracker.readBegins())
    // Old enough and settled before every read still to come: a row with that id is new again.
    expect(tracker.admit([row(7, "300")], false).map((one) => one.id)).toEqual([7])
  })

  it("lets a released row (its lane stopped) be read again at once", () => {
    const { tracker } = tracked()
    tracker.admit([row(9, "400")], false)
    tracker.release(9)
    expect(tracker.holds(9)).toBe(false)
    expect(tracker.admit([row(9, "400")], true).map((one) => one.id)).toEqual([9])
  })
})
