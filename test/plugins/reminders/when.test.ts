import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { formatAt, instantOf, isTimeZone, parseDay, parseWhen } from "../../../plugins/reminders/when.ts"

const at = (iso: string) => Date.parse(iso)
const when = (text: string, now: string, zone = "UTC") => {
  const parsed = parseWhen(text, at(now), zone)
  return Either.isRight(parsed)
    ? { at: new Date(parsed.right.at).toISOString(), rest: parsed.right.rest }
    : { error: parsed.left }
}

describe("reminder times", () => {
  it("reads relative times, with the text after them", () => {
    const now = "2026-11-26T10:00:00.000Z"
    expect(when("in 2h call the bank", now)).toEqual({
      at: "2026-11-26T12:00:00.000Z",
      rest: "call the bank"
    })
    expect(when("in 1m tea", now)).toEqual({ at: "2026-11-26T10:01:00.000Z", rest: "tea" })
    expect(when("in 1h30m x", now)).toEqual({ at: "2026-11-26T11:30:00.000Z", rest: "x" })
    expect(when("in 90 minutes x", now)).toEqual({ at: "2026-11-26T11:30:00.000Z", rest: "x" })
    expect(when("in 3 seconds x", now)).toEqual({ at: "2026-11-26T10:00:03.000Z", rest: "x" })
    expect(when("in 2 days 5 people", now)).toEqual({ at: "2026-11-28T10:00:00.000Z", rest: "5 people" })
  })

  it("reads wall-clock times in the group's zone", () => {
    // 10:00 UTC is 11:00 in Berlin (CET) and 05:00 in New York (EST).
    const now = "2026-11-26T10:00:00.000Z"
    expect(when("tomorrow 10:00 stand-up", now, "Europe/Berlin")).toEqual({
      at: "2026-11-27T09:00:00.000Z",
      rest: "stand-up"
    })
    expect(when("2026-12-01 09:30 review", now, "America/New_York")).toEqual({
      at: "2026-12-01T14:30:00.000Z",
      rest: "review"
    })
    expect(when("2026-12-01 deadline", now, "Asia/Kolkata")).toEqual({
      at: "2026-12-01T03:30:00.000Z",
      rest: "deadline"
    })
    // A clock time that has passed today is tomorrow's.
    expect(when("10:30 x", now, "Europe/Berlin")).toEqual({ at: "2026-11-27T09:30:00.000Z", rest: "x" })
    expect(when("at 12:00 x", now, "Europe/Berlin")).toEqual({ at: "2026-11-26T11:00:00.000Z", rest: "x" })
    // "tomorrow" is the zone's tomorrow: at 23:30 UTC it is already the 27th in Tokyo.
    expect(when("tomorrow 09:00 x", "2026-11-26T23:30:00.000Z", "Asia/Tokyo")).toEqual({
      at: "2026-11-28T00:00:00.000Z",
      rest: "x"
    })
  })

  it("keeps the wall-clock time across DST changes, as calendar apps do", () => {
    // Berlin goes from CET to CEST on 2026-03-29 at 02:00 and back on 2026-10-25 at 03:00.
    expect(when("2026-03-30 09:00 x", "2026-03-28T12:00:00Z", "Europe/Berlin")).toEqual({
      at: "2026-03-30T07:00:00.000Z",
      rest: "x"
    })
    expect(when("tomorrow 09:00 x", "2026-03-28T12:00:00Z", "Europe/Berlin")).toEqual({
      at: "2026-03-29T07:00:00.000Z",
      rest: "x"
    })
    // 02:30 does not exist that night: it is moved forward by the gap, to 03:30 CEST.
    expect(
      new Date(
        instantOf({ year: 2026, month: 3, day: 29, hour: 2, minute: 30 }, "Europe/Berlin")
      ).toISOString()
    ).toBe("2026-03-29T01:30:00.000Z")
    // 02:30 happens twice on 2026-10-25: the first (CEST) is meant.
    expect(
      new Date(
        instantOf({ year: 2026, month: 10, day: 25, hour: 2, minute: 30 }, "Europe/Berlin")
      ).toISOString()
    ).toBe("2026-10-25T00:30:00.000Z")
    // A relative time is real elapsed time, whatever the clocks do.
    expect(when("in 2h x", "2026-10-25T00:30:00Z", "Europe/Berlin")).toEqual({
      at: "2026-10-25T02:30:00.000Z",
      rest: "x"
    })
    expect(formatAt(at("2026-10-25T02:30:00Z"), "Europe/Berlin")).toBe("2026-10-25 03:30")
  })

  it("refuses what it cannot read, impossible dates and the past, with a sentence", () => {
    const now = "2026-11-26T10:00:00.000Z"
    expect(when("soonish call", now)).toEqual({
      error: expect.stringMatching(/^I could not read a time in "soonish call"/) as string
    })
    expect(when("in call", now)).toEqual({
      error: expect.stringMatching(/^I could not read a time/) as string
    })
    expect(when("2026-02-30 09:00 x", now)).toEqual({ error: "There is no such date or time." })
    expect(when("tomorrow 25:00 x", now)).toEqual({ error: "There is no such date or time." })
    expect(when("2025-12-01 09:00 x", now)).toEqual({ error: "That time is in the past." })
    expect(when("in 9999 days x", now)).toEqual({ error: "That is too far ahead (at most 5 years)." })
  })

  it("reads agenda days and validates zones", () => {
    const day = parseDay("2026-12-01", at("2026-11-26T10:00:00Z"), "Europe/Berlin")
    expect(Either.getOrThrow(day)).toEqual({
      start: at("2026-11-30T23:00:00Z"),
      end: at("2026-12-01T23:00:00Z"),
      label: "2026-12-01"
    })
    // The day the clocks go forward has 23 hours.
    const short = Either.getOrThrow(parseDay("2026-03-29", at("2026-03-01T00:00:00Z"), "Europe/Berlin"))
    expect(short.end - short.start).toBe(23 * 3_600_000)
    expect(Either.isLeft(parseDay("next week", Date.now(), "UTC"))).toBe(true)
    expect(isTimeZone("Europe/Berlin")).toBe(true)
    expect(isTimeZone("Mars/Olympus")).toBe(false)
    expect(isTimeZone("")).toBe(false)
  })
})
