import { describe, expect, it } from "vitest"
import { createActor, SimulatedClock } from "xstate"
import { connectionMachine, type EmittedBy } from "../../machines/index.ts"

const start = () => {
  const clock = new SimulatedClock()
  const actor = createActor(connectionMachine, { input: { key: "connection:bot:7" }, clock })
  const emitted: Array<EmittedBy<"connection">> = []
  actor.on("*", (event) => emitted.push(event))
  actor.start()
  return { actor, clock, emitted }
}

describe("connectionMachine", () => {
  it("goes online at the first poll, waits out retry_after, then is online again by itself", () => {
    const { actor, clock, emitted } = start()
    expect(actor.getSnapshot().value).toBe("starting")
    actor.send({ type: "connection.polled" })
    expect(actor.getSnapshot().value).toBe("online")
    actor.send({ type: "connection.rateLimited", retryAfter: 5 })
    expect(actor.getSnapshot().value).toBe("floodWaiting")
    expect(actor.getSnapshot().context).toMatchObject({ retryAfter: 5, floodWaits: 1 })
    clock.increment(4_999)
    expect(actor.getSnapshot().value).toBe("floodWaiting")
    clock.increment(1)
    expect(actor.getSnapshot().value).toBe("online")
    expect(emitted).toEqual([
      { type: "connection.online", connection: "bot:7" },
      { type: "connection.floodWaiting", connection: "bot:7", retryAfter: 5 },
      { type: "connection.online", connection: "bot:7" }
    ])
  })

  it("restarts the wait with a longer retry_after", () => {
    const { actor, clock } = start()
    actor.send({ type: "connection.rateLimited", retryAfter: 2 })
    clock.increment(1_500)
    actor.send({ type: "connection.rateLimited", retryAfter: 3 })
    clock.increment(2_000)
    expect(actor.getSnapshot().value).toBe("floodWaiting")
    clock.increment(1_000)
    expect(actor.getSnapshot().value).toBe("online")
    expect(actor.getSnapshot().context.floodWaits).toBe(2)
  })

  it("stays unauthorized after a refusal, even past a pending wait, until told to start", () => {
    const { actor, clock, emitted } = start()
    actor.send({ type: "connection.rateLimited", retryAfter: 1 })
    actor.send({ type: "connection.refused", reason: "401 Unauthorized" })
    clock.increment(5_000)
    actor.send({ type: "connection.polled" })
    expect(actor.getSnapshot().value).toBe("unauthorized")
    expect(emitted.at(-1)).toEqual({
      type: "connection.unauthorized",
      connection: "bot:7",
      reason: "401 Unauthorized"
    })
    actor.send({ type: "connection.start" })
    actor.send({ type: "connection.polled" })
    expect(actor.getSnapshot().value).toBe("online")
    expect(actor.getSnapshot().context.refusal).toBeNull()
  })
})
