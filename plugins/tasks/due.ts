/**
 * Reading `/task <text> [@assignee] [due]`: the assignee and the due time are taken from the end of
 * the text, in either order. Due times are read in the configured time zone (an IANA name, `UTC` by
 * default): `in 45s`, `in 2h`, `in 30 min`, `in 3 days`, `today 18:00`, `tomorrow 10:00`, `fri`, `friday 15:30`,
 * `2026-12-01`, `2026-12-01 09:30`, `at 17:00` (the next 17:00). A day without a time is at 09:00,
 * `today` without one at 18:00.
 */

/** What `/task` was given: the task's text, its assignee's username (without `@`) and its due time. */
export type Parsed =
  | { readonly _tag: "Task"; readonly text: string; readonly assignee?: string; readonly due?: number }
  | { readonly _tag: "Invalid"; readonly reason: string }

export const usage = [
  "Usage: /task <text> [@assignee] [due]",
  "Due: in 2h, in 30m, tomorrow 10:00, fri, fri 15:00, 2026-12-01 09:30.",
  "Reply to a message with /task to link the task to it."
].join("\n")

const units: ReadonlyArray<readonly [RegExp, number]> = [
  [/^(s|sec|secs|second|seconds)$/, 1_000],
  [/^(m|min|mins|minute|minutes)$/, 60_000],
  [/^(h|hr|hrs|hour|hours)$/, 3_600_000],
  [/^(d|day|days)$/, 86_400_000],
  [/^(w|wk|week|weeks)$/, 7 * 86_400_000]
]
const weekdays = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
const weekdayOf = (word: string) => {
  const match = /^(sun|mon|tue|wed|thu|fri|sat)[a-z]*$/.exec(word)
  if (match === null) return undefined
  const full = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
  const day = weekdays.indexOf(match[1]!)
  // `fri`, `frid`, `friday`; `tues`, `thur`, `thurs` too, but not `frisbee`.
  return full[day]!.startsWith(word) || ["tues", "thur", "thurs"].includes(word) ? day : undefined
}
const DAY_START = { hour: 9, minute: 0 }
const DAY_END = { hour: 18, minute: 0 }
// Also English words: a weekday only after `on`, `by`, `due`, `until`, or with a time.
const ambiguous = new Set(["sat", "sun", "wed"])
const MAX_AHEAD = 366 * 86_400_000
const fillers = new Set(["by", "due", "on", "until", "at"])

/** Whether `zone` is a time zone `Intl` knows. */
export const isTimeZone = (zone: string) => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone })
    return true
  } catch {
    return false
  }
}

/** The wall clock in `zone` at `instant`: year, month (1–12), day, weekday (0 = Sunday), hour, minute. */
export const wallClock = (zone: string, instant: number) => {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
    weekday: "short"
  }).formatToParts(instant)
  const part = (type: string) => parts.find((entry) => entry.type === type)?.value ?? "0"
  return {
    year: Number(part("year")),
    month: Number(part("month")),
    day: Number(part("day")),
    weekday: weekdays.indexOf(part("weekday").toLowerCase().slice(0, 3)),
    hour: Number(part("hour")),
    minute: Number(part("minute")),
    second: Number(part("second"))
  }
}

// The instant whose wall clock in `zone` reads the given date and time (the first, in a DST overlap).
const instantOf = (zone: string, year: number, month: number, day: number, hour: number, minute: number) => {
  const naive = Date.UTC(year, month - 1, day, hour, minute)
  const offsetAt = (instant: number) => {
    const wall = wallClock(zone, instant)
    return (
      Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second) -
      Math.floor(instant / 1000) * 1000
    )
  }
  const first = naive - offsetAt(naive)
  const second = naive - offsetAt(first)
  return Math.min(first, second)
}

type Reading = { readonly due: number; readonly used: number } | { readonly error: string } | undefined

const timeOf = (word: string): { hour: number; minute: number } | "bad" | undefined => {
  const match = /^(\d{1,2})[:.](\d{2})$/.exec(word)
  if (match === null) return undefined
  const [hour, minute] = [Number(match[1]), Number(match[2])]
  return hour > 23 || minute > 59 ? "bad" : { hour, minute }
}

// Reads a due time from the last words of `words` (lower-case), answering how many it used.
const dueAtEnd = (words: ReadonlyArray<string>, now: number, zone: string): Reading => {
  const last = words[words.length - 1] ?? ""
  const before = words[words.length - 2]
  const today = wallClock(zone, now)
  const dayPlus = (days: number) => {
    const date = new Date(Date.UTC(today.year, today.month - 1, today.day + days))
    return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() }
  }
  const at = (date: { year: number; month: number; day: number }, time: { hour: number; minute: number }) =>
    instantOf(zone, date.year, date.month, date.day, time.hour, time.minute)

  // in 2h, in 2 h, in 30 min
  const compact = /^(\d+)([a-z]+)$/.exec(last)
  if (before === "in" && compact !== null) {
    const unit = units.find(([pattern]) => pattern.test(compact[2]!))
    if (unit === undefined) return { error: `I can't read "in ${last}": write the unit as s, m, h, d or w.` }
    return { due: now + Number(compact[1]) * unit[1], used: 2 }
  }
  if (words[words.length - 3] === "in" && before !== undefined && /^\d+$/.test(before)) {
    const unit = units.find(([pattern]) => pattern.test(last))
    if (unit !== undefined) return { due: now + Number(before) * unit[1], used: 3 }
  }
  if (before === "in" && /^\d+$/.test(last))
    return { error: `"in ${last}" needs a unit: in ${last}h, in ${last}m.` }

  // a time at the end, after a day, a date, `at`, or alone
  const time = timeOf(last)
  if (time === "bad") return { error: `"${last}" is not a time of day: write it as 09:30 or 17:00.` }
  const dayWord = time === undefined ? last : (before ?? "")
  const withTime = time === undefined ? 0 : 1
  const when = time ?? DAY_START
  const date = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(dayWord)
  if (date !== null) {
    const [year, month, day] = [Number(date[1]), Number(date[2]), Number(date[3])]
    const probe = new Date(Date.UTC(year, month - 1, day))
    if (probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day)
      return { error: `${dayWord} is not a date: write it as 2026-12-01.` }
    return { due: at({ year, month, day }, when), used: 1 + withTime }
  }
  if (dayWord === "today") return { due: at(dayPlus(0), time ?? DAY_END), used: 1 + withTime }
  if (dayWord === "tomorrow") return { due: at(dayPlus(1), when), used: 1 + withTime }
  const weekday = weekdayOf(dayWord)
  const plain = withTime === 0 && ambiguous.has(dayWord) && !fillers.has(before ?? "")
  if (weekday !== undefined && !plain) {
    let ahead = (weekday - today.weekday + 7) % 7
    if (ahead === 0 && at(dayPlus(0), when) <= now) ahead = 7
    return { due: at(dayPlus(ahead), when), used: 1 + withTime }
  }
  if (time !== undefined) {
    const due = at(dayPlus(0), time)
    return { due: due > now ? due : at(dayPlus(1), time), used: 1 }
  }
  return undefined
}

/**
 * Reads `/task`'s arguments at `now` (ms) in `zone`: the text, then an `@assignee` and a due time at
 * the end in either order, or why they cannot be read.
 *
 * @example
 * parseTask("Call the client back @oleg tomorrow 10:00", Date.now(), "UTC")
 * // { _tag: "Task", text: "Call the client back", assignee: "oleg", due: 1764237600000 }
 */
export const parseTask = (args: string, now: number, zone: string): Parsed => {
  const words = args
    .trim()
    .split(/\s+/)
    .filter((word) => word !== "")
  let assignee: string | undefined
  let due: number | undefined
  for (;;) {
    const last = words[words.length - 1]
    if (last === undefined) break
    if (last.startsWith("@")) {
      if (!/^@[A-Za-z][A-Za-z0-9_]{3,31}$/.test(last))
        return { _tag: "Invalid", reason: `${last} is not a Telegram username.\n\n${usage}` }
      if (assignee !== undefined) return { _tag: "Invalid", reason: `A task has one assignee.\n\n${usage}` }
      assignee = last.slice(1)
      words.pop()
      continue
    }
    const reading = dueAtEnd(
      words.map((word) => word.toLowerCase()),
      now,
      zone
    )
    if (reading === undefined) break
    if ("error" in reading) return { _tag: "Invalid", reason: `${reading.error}\n\n${usage}` }
    if (due !== undefined) return { _tag: "Invalid", reason: `A task has one due time.\n\n${usage}` }
    if (reading.due <= now) return { _tag: "Invalid", reason: "That due time has passed: give one ahead." }
    if (reading.due - now > MAX_AHEAD)
      return { _tag: "Invalid", reason: "A due time is at most a year ahead." }
    due = reading.due
    words.splice(words.length - reading.used, reading.used)
    if (fillers.has(words[words.length - 1]?.toLowerCase() ?? "")) words.pop()
  }
  const text = words.join(" ")
  if (text === "") return { _tag: "Invalid", reason: usage }
  if (text.length > 500) return { _tag: "Invalid", reason: "A task's text is at most 500 characters." }
  return {
    _tag: "Task",
    text,
    ...(assignee === undefined ? {} : { assignee }),
    ...(due === undefined ? {} : { due })
  }
}

/**
 * A due time as people read it in `zone`: `Fri 27 Nov 10:00 UTC`.
 *
 * @example
 * formatDue(Date.UTC(2026, 10, 27, 10), "UTC") // "Fri 27 Nov 10:00 UTC"
 */
export const formatDue = (due: number, zone: string) =>
  new Intl.DateTimeFormat("en-GB", {
    timeZone: zone,
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    timeZoneName: "short"
  })
    .format(due)
    .replace(/,/g, "")
