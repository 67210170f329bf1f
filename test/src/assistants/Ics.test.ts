import ICAL from "ical.js"
import { describe, expect, it } from "vitest"
import { escapeText, foldLine, icsCalendar, utcStamp } from "../../../src/assistants/Ics.ts"

describe("Ics", () => {
  it("escapes TEXT values and writes UTC times", () => {
    expect(escapeText("a\\b; c, d\ne")).toBe("a\\\\b\\; c\\, d\\ne")
    expect(utcStamp(Date.parse("2026-12-01T09:30:15.250Z"))).toBe("20261201T093015Z")
  })

  it("folds lines at 75 octets without cutting a UTF-8 character", () => {
    const line = `SUMMARY:${"Звонок с клиентом 📞 ".repeat(8)}`
    const folded = foldLine(line)
    const parts = folded.split("\r\n")
    expect(parts.length).toBeGreaterThan(1)
    expect(parts.every((part) => Buffer.byteLength(part) <= 75)).toBe(true)
    expect(parts.slice(1).every((part) => part.startsWith(" "))).toBe(true)
    expect(parts.map((part, index) => (index === 0 ? part : part.slice(1))).join("")).toBe(line)
    expect(foldLine("SHORT:x")).toBe("SHORT:x")
  })

  it("makes a calendar that ical.js reads back with every field", () => {
    const summary = 'Call with Anna; re: invoice, "urgent"\nsecond line — ünïcödé '.repeat(3).trim()
    const text = icsCalendar({ name: "Team calls", prodId: "-//Backline//Calendar//EN" }, [
      {
        uid: "7@1001234.backline",
        start: Date.parse("2026-12-01T09:30:00Z"),
        end: Date.parse("2026-12-01T10:00:00Z"),
        stamp: Date.parse("2026-11-26T05:00:00Z"),
        summary,
        description: "Booked by Dana",
        url: "https://t.me/c/1234/7"
      }
    ])
    expect(text.startsWith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")).toBe(true)
    expect(text.endsWith("END:VCALENDAR\r\n")).toBe(true)
    expect(text.replace(/\r\n/g, "").includes("\n")).toBe(false)
    const calendar = new ICAL.Component(ICAL.parse(text) as Array<unknown>)
    expect(calendar.getFirstPropertyValue("x-wr-calname")).toBe("Team calls")
    const event = new ICAL.Event(calendar.getFirstSubcomponent("vevent")!)
    expect(event.uid).toBe("7@1001234.backline")
    expect(event.summary).toBe(summary)
    expect(event.description).toBe("Booked by Dana")
    expect(event.startDate.toJSDate().toISOString()).toBe("2026-12-01T09:30:00.000Z")
    expect(event.endDate.toJSDate().toISOString()).toBe("2026-12-01T10:00:00.000Z")
    expect(event.startDate.zone?.tzid).toBe("UTC")
  })
})
