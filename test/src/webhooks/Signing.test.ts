import { Duration } from "effect"
import { describe, expect, it } from "vitest"
import { failedForADay, giveUpAfter, nextAttemptAt, retryDelay } from "../../../src/webhooks/Backoff.ts"
import { newSecret, sign, signedHeaders, verify } from "../../../src/webhooks/Signing.ts"

describe("Standard Webhooks signing", () => {
  it("reproduces the specification's test vector", () => {
    // The published vector of the Standard Webhooks reference libraries.
    expect(
      sign(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        '{"test": 2432232314}'
      )
    ).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
  })

  it("makes whsec_ secrets of 24 random bytes, and headers a verifier accepts, but not for another body", () => {
    const secret = newSecret()
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/)
    expect(newSecret()).not.toBe(secret)
    const headers = signedHeaders(secret, "msg_1", 1700000000, '{"a":1}')
    expect(headers["webhook-id"]).toBe("msg_1")
    expect(headers["webhook-timestamp"]).toBe("1700000000")
    expect(
      verify(secret, "msg_1", 1700000000, '{"a":1}', `v1,bm9wZQ== ${headers["webhook-signature"]}`)
    ).toBe(true)
    expect(verify(secret, "msg_1", 1700000000, '{"a":2}', headers["webhook-signature"])).toBe(false)
    expect(verify(newSecret(), "msg_1", 1700000000, '{"a":1}', headers["webhook-signature"])).toBe(false)
  })
})

describe("retry back-off", () => {
  it("waits 5 s, doubling up to an hour, with a jitter of ±20 %", () => {
    const seconds = (attempt: number, random: number) => Duration.toSeconds(retryDelay(attempt, random))
    expect([1, 2, 3, 4, 5, 10, 11, 30].map((attempt) => seconds(attempt, 0.5))).toEqual([
      5, 10, 20, 40, 80, 2560, 3600, 3600
    ])
    expect(seconds(1, 0)).toBe(4)
    expect(seconds(1, 0.999999)).toBeCloseTo(6, 2)
    expect(seconds(30, 0)).toBe(2880)
  })

  it("gives a delivery up once its next try would fall more than a day after it was made", () => {
    const day = Duration.toMillis(giveUpAfter)
    expect(nextAttemptAt(1, 0, 0, 0.5)).toBe(5_000)
    // An hour's wait from 23 h 30 min would end past the day.
    expect(nextAttemptAt(20, 0, day - 30 * 60_000, 0.5)).toBeUndefined()
    expect(nextAttemptAt(20, 0, day - 2 * 3_600_000, 0.5)).toBe(day - 3_600_000)
    // About 34 tries in all at the middle of the jitter.
    let at = 0
    let tries = 1
    for (;;) {
      const next = nextAttemptAt(tries, 0, at, 0.5)
      if (next === undefined) break
      at = next
      tries += 1
    }
    expect(tries).toBe(33)
  })

  it("counts a subscription failing for 24 h as failed for a day", () => {
    expect(failedForADay(0, Duration.toMillis(Duration.hours(24)) - 1)).toBe(false)
    expect(failedForADay(0, Duration.toMillis(Duration.hours(24)))).toBe(true)
  })
})
