import { describe, expect, it } from "vitest"
import { formatDue, parseTask, usage } from "../../../plugins/tasks/due.ts"

// Thursday 26 November 2026, 08:00 UTC.
const now = Date.UTC(2026, 10, 26, 8, 0)
const utc = (text: string) => parseTask(text, now, "UTC")
const at = (day: number, hour: number, minute = 0, month = 10) => Date.UTC(2026, month, day, hour, minute)

describe("/task arguments", () => {
  it("takes the assignee and the due time from the end, in either order", () => {
    expect(utc("Call the client back @oleg tomorrow 10:00")).toEqual({
      _tag: "Task",
      text: "Call the client back",
      assignee: "oleg",
      due: at(27, 10)
    })
    expect(utc("Invoice fri 15:00 @Oleg_K")).toEqual({
      _tag: "Task",
      text: "Invoice",
      assignee: "Oleg_K",
      due: at(27, 15)
    })
    expect(utc("Just do it")).toEqual({ _tag: "Task", text: "Just do it" })
  })

  it("reads the due forms people write", () => {
    const due = (text: string) => {
      const parsed = utc(text)
      return parsed._tag === "Task" ? [parsed.text, parsed.due] : parsed.reason
    }
    expect(due("Deploy in 2h")).toEqual(["Deploy", now + 2 * 3_600_000])
    expect(due("Deploy in 30 min")).toEqual(["Deploy", now + 30 * 60_000])
    expect(due("Check in 45s")).toEqual(["Check", now + 45_000])
    expect(due("Renew in 3 days")).toEqual(["Renew", now + 3 * 86_400_000])
    expect(due("Invoice fri")).toEqual(["Invoice", at(27, 9)])
    expect(due("Invoice by friday")).toEqual(["Invoice", at(27, 9)])
    expect(due("Review thu")).toEqual(["Review", at(26, 9)]) // today, 09:00 is still ahead
    expect(due("Review wednesday")).toEqual(["Review", at(2, 9, 0, 11)]) // next week
    expect(due("Plan 2026-12-01 09:30")).toEqual(["Plan", at(1, 9, 30, 11)])
    expect(due("Plan 2026-12-01")).toEqual(["Plan", at(1, 9, 0, 11)])
    expect(due("Report today")).toEqual(["Report", at(26, 18)])
    expect(due("Standup at 07:00")).toEqual(["Standup", at(27, 7)]) // today's 07:00 has passed
    // Words that only look like days stay in the text.
    expect(due("Enjoy the sun")).toEqual(["Enjoy the sun", undefined])
    expect(due("Fix the monitor")).toEqual(["Fix the monitor", undefined])
    expect(due("Cake on sat")).toEqual(["Cake", at(28, 9)])
  })

  it("reads times in the configured time zone", () => {
    const parsed = parseTask("Plan 2026-12-01 09:30", now, "Europe/Berlin")
    expect(parsed).toEqual({ _tag: "Task", text: "Plan", due: at(1, 8, 30, 11) })
    expect(formatDue(at(1, 8, 30, 11), "Europe/Berlin")).toBe("Tue 1 Dec 09:30 CET")
    expect(formatDue(at(27, 10), "UTC")).toBe("Fri 27 Nov 10:00 UTC")
  })

  it("answers bad input with what is wrong and how to write it", () => {
    const reason = (text: string) => {
      const parsed = utc(text)
      return parsed._tag === "Invalid" ? parsed.reason.split("\n")[0] : "accepted"
    }
    expect(utc("")).toEqual({ _tag: "Invalid", reason: usage })
    expect(utc("@oleg tomorrow")).toEqual({ _tag: "Invalid", reason: usage })
    expect(reason("Deploy in 2x")).toBe(`I can't read "in 2x": write the unit as s, m, h, d or w.`)
    expect(reason("Deploy in 2")).toBe(`"in 2" needs a unit: in 2h, in 2m.`)
    expect(reason("Plan 2026-13-01")).toBe("2026-13-01 is not a date: write it as 2026-12-01.")
    expect(reason("Plan 2026-02-30 10:00")).toBe("2026-02-30 is not a date: write it as 2026-12-01.")
    expect(reason("Plan tomorrow 25:00")).toBe(`"25:00" is not a time of day: write it as 09:30 or 17:00.`)
    expect(reason("Plan 2020-01-01")).toBe("That due time has passed: give one ahead.")
    expect(reason("Plan 2028-01-01")).toBe("A due time is at most a year ahead.")
    expect(reason("Pair @oleg @olga")).toBe("A task has one assignee.")
    expect(reason("Ship in 2h tomorrow")).toBe("A task has one due time.")
    expect(reason("Ask @x")).toBe("@x is not a Telegram username.")
    expect(reason("x".repeat(501))).toBe("A task's text is at most 500 characters.")
  })
})
