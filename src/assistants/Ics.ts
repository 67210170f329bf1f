/**
 * iCalendar (RFC 5545) text of a calendar's events, for the calendar feed: CRLF line ends, content
 * lines folded at 75 octets (never inside a UTF-8 character), TEXT values escaped, times in UTC.
 *
 * @example
 * const ics = icsCalendar({ name: "Support calls", prodId: "-//Backline//Calendar//EN" }, [
 *   { uid: "42@backline", start: Date.parse("2026-12-01T09:30:00Z"), end: Date.parse("2026-12-01T10:00:00Z"),
 *     summary: "Call with Anna", stamp: Date.now() }
 * ])
 */

/** One event of the feed. */
export interface IcsEvent {
  /** Globally unique and stable across fetches (`<id>@<group>.backline`). */
  readonly uid: string
  /** ms since epoch. */
  readonly start: number
  readonly end: number
  readonly summary: string
  /** When this event was created or last changed (DTSTAMP), ms since epoch. */
  readonly stamp: number
  readonly description?: string | undefined
  readonly url?: string | undefined
}

/** A TEXT value (RFC 5545 §3.3.11): backslash, `;`, `,` escaped, new lines as `\n`. */
export const escapeText = (text: string): string =>
  text
    .replace(/\\/g, "\\\\")
    .replace(/;/g, "\\;")
    .replace(/,/g, "\\,")
    .replace(/\r\n|\r|\n/g, "\\n")

/** A DATE-TIME in UTC (`20261201T093000Z`). */
export const utcStamp = (at: number): string =>
  new Date(Math.floor(at / 1000) * 1000)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}Z$/, "Z")

const encoder = new TextEncoder()

/**
 * Folds a content line (§3.1): at most 75 octets per line, continuation lines start with one space.
 * Splits between characters, so a multi-byte character is never cut.
 */
export const foldLine = (line: string): string => {
  const lines: Array<string> = []
  let current = ""
  let octets = 0
  for (const char of line) {
    const size = encoder.encode(char).length
    // The first line holds 75 octets; a continuation line 74 after its leading space.
    const limit = lines.length === 0 ? 75 : 74
    if (octets + size > limit) {
      lines.push(current)
      current = ""
      octets = 0
    }
    current += char
    octets += size
  }
  lines.push(current)
  return lines.join("\r\n ")
}

/** The whole VCALENDAR: lines folded, each ended by CRLF. */
export const icsCalendar = (
  calendar: { readonly name: string; readonly prodId: string },
  events: ReadonlyArray<IcsEvent>
): string => {
  const lines = [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    `PRODID:${calendar.prodId}`,
    "CALSCALE:GREGORIAN",
    "METHOD:PUBLISH",
    `X-WR-CALNAME:${escapeText(calendar.name)}`,
    ...events.flatMap((event) => [
      "BEGIN:VEVENT",
      `UID:${event.uid}`,
      `DTSTAMP:${utcStamp(event.stamp)}`,
      `DTSTART:${utcStamp(event.start)}`,
      `DTEND:${utcStamp(event.end)}`,
      `SUMMARY:${escapeText(event.summary)}`,
      ...(event.description === undefined ? [] : [`DESCRIPTION:${escapeText(event.description)}`]),
      ...(event.url === undefined ? [] : [`URL:${event.url}`]),
      "END:VEVENT"
    ]),
    "END:VCALENDAR"
  ]
  return lines.map((line) => `${foldLine(line)}\r\n`).join("")
}
