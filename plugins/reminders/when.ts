import { Either } from "effect"

/** Whether `zone` is an IANA time zone this Node knows (`Europe/Berlin`, `UTC`). */
export const isTimeZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone })
    return zone.trim() !== ""
  } catch {
    return false
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>()
const formatter = (zone: string) => {
  let found = formatters.get(zone)
  if (found === undefined) {
    found = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit"
    })
    formatters.set(zone, found)
  }
  return found
}

/** A wall-clock time in some zone. */
export interface Wall {
  readonly year: number
  readonly month: number
  readonly day: number
  readonly hour: number
  readonly minute: number
}

/** The wall-clock time at `at` (ms since epoch) in `zone`. */
export const wallAt = (at: number, zone: string): Wall & { readonly second: number } => {
  const parts = Object.fromEntries(
    formatter(zone)
      .formatToParts(at)
      .map((part) => [part.type, part.value])
  )
  return {
    year: Number(parts["year"]),
    month: Number(parts["month"]),
    day: Number(parts["day"]),
    hour: Number(parts["hour"]),
    minute: Number(parts["minute"]),
    second: Number(parts["second"])
  }
}

/** How far `zone` is ahead of UTC at `at`, in ms. */
const offsetAt = (at: number, zone: string) => {
  const wall = wallAt(at, zone)
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second)
  return asUtc - Math.floor(at / 1000) * 1000
}

const sameWall = (a: Wall, b: Wall) =>
  a.year === b.year && a.month === b.month && a.day === b.day && a.hour === b.hour && a.minute === b.minute

/**
 * The instant of a wall-clock time in `zone`. Across a DST change it does what calendar apps do: a
 * time that happens twice (clocks go back) is its first occurrence; a time that does not exist
 * (clocks go forward) is moved forward by the gap (02:30 on a spring-forward night is 03:30).
 */
export const instantOf = (wall: Wall, zone: string): number => {
  const guess = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute)
  const day = 86_400_000
  const before = offsetAt(guess - day, zone)
  const after = offsetAt(guess + day, zone)
  const fits = [guess - before, guess - after].filter((at) => sameWall(wallAt(at, zone), wall))
  return fits.length > 0 ? Math.min(...fits) : guess - before
}

const units: ReadonlyArray<readonly [RegExp, number]> = [
  [/^(s|secs?|seconds?)$/i, 1000],
  [/^(m|mins?|minutes?)$/i, 60_000],
  [/^(h|hrs?|hours?)$/i, 3_600_000],
  [/^(d|days?)$/i, 86_400_000],
  [/^(w|weeks?)$/i, 604_800_000]
]
const unitOf = (unit: string) => units.find(([pattern]) => pattern.test(unit))?.[1]

const amount = /^(\d{1,6})\s*([a-z]+)(?=\s|\d|$)\s*/i

/** A duration at the start of `text` (`2h`, `1h30m`, `90 min`, `2 days`): ms and the rest, if any. */
export const leadingDuration = (text: string): { readonly ms: number; readonly rest: string } | undefined => {
  let rest = text.trim()
  let ms = 0
  let found = false
  for (let match = amount.exec(rest); match !== null; match = amount.exec(rest)) {
    const unit = unitOf(match[2]!)
    if (unit === undefined) break
    ms += Number(match[1]) * unit
    found = true
    rest = rest.slice(match[0].length)
  }
  return found ? { ms, rest: rest.trim() } : undefined
}

/** When something is to happen, and the text that followed the time. */
export interface When {
  readonly at: number
  readonly rest: string
}

/** The longest ahead a time may be. */
const horizon = 5 * 366 * 86_400_000

/** The hour a day without a time means. */
const morning = 9

const validWall = (wall: Wall) => {
  const date = new Date(Date.UTC(wall.year, wall.month - 1, wall.day))
  return (
    date.getUTCFullYear() === wall.year &&
    date.getUTCMonth() === wall.month - 1 &&
    date.getUTCDate() === wall.day &&
    wall.hour < 24 &&
    wall.minute < 60
  )
}

const addDays = (wall: Wall, days: number): Wall => {
  const date = new Date(Date.UTC(wall.year, wall.month - 1, wall.day + days))
  return { ...wall, year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() }
}

export const whenUsage =
  "Write the time as: in 2h, in 30m, in 1h30m, in 2 days, tomorrow 10:00, today 18:30, 15:00, 2026-12-01 09:30."

/**
 * Reads a time at the start of `text`, in `zone`, at `now`: `in 2h`, `in 1h30m`, `in 45s`,
 * `tomorrow 10:00`, `today 18:30`, `15:00` (the next one), `2026-12-01 09:30`, `2026-12-01` (09:00).
 * Fails with a sentence for the user: no time, an impossible date, a time in the past.
 */
export const parseWhen = (text: string, now: number, zone: string): Either.Either<When, string> => {
  const input = text.trim()
  const found = readWhen(input, now, zone)
  if (found === undefined)
    return Either.left(`I could not read a time in "${input.slice(0, 40)}". ${whenUsage}`)
  if (typeof found === "string") return Either.left(found)
  if (found.at <= now) return Either.left("That time is in the past.")
  if (found.at - now > horizon) return Either.left("That is too far ahead (at most 5 years).")
  return Either.right(found)
}

const readWhen = (input: string, now: number, zone: string): When | string | undefined => {
  const relative = /^in\s+/i.exec(input)
  if (relative !== null) {
    const duration = leadingDuration(input.slice(relative[0].length))
    return duration === undefined ? undefined : { at: now + duration.ms, rest: duration.rest }
  }
  const today = wallAt(now, zone)
  const at = (wall: Wall, rest: string): When | string =>
    validWall(wall) ? { at: instantOf(wall, zone), rest: rest.trim() } : "There is no such date or time."
  const clock = "(?:\\s+(?:at\\s+)?(\\d{1,2})[:.](\\d{2}))?"
  const named = new RegExp(`^(today|tomorrow)${clock}(?=\\s|$)`, "i").exec(input)
  if (named !== null) {
    const day = named[1]!.toLowerCase() === "tomorrow" ? addDays(today, 1) : today
    const hour = named[2] === undefined ? morning : Number(named[2])
    const minute = named[3] === undefined ? 0 : Number(named[3])
    return at({ ...day, hour, minute }, input.slice(named[0].length))
  }
  const dated = new RegExp(`^(\\d{4})-(\\d{2})-(\\d{2})(?:[ T](\\d{1,2}):(\\d{2}))?(?=\\s|$)`).exec(input)
  if (dated !== null) {
    const wall = {
      year: Number(dated[1]),
      month: Number(dated[2]),
      day: Number(dated[3]),
      hour: dated[4] === undefined ? morning : Number(dated[4]),
      minute: dated[5] === undefined ? 0 : Number(dated[5])
    }
    return at(wall, input.slice(dated[0].length))
  }
  const time = /^(?:at\s+)?(\d{1,2})[:.](\d{2})(?=\s|$)/i.exec(input)
  if (time !== null) {
    const wall = { ...today, hour: Number(time[1]), minute: Number(time[2]) }
    const rest = input.slice(time[0].length)
    if (!validWall(wall)) return "There is no such time."
    const first = at(wall, rest)
    return typeof first !== "string" && first.at <= now ? at(addDays(wall, 1), rest) : first
  }
  return undefined
}

/** Reads a day (`today`, `tomorrow`, `2026-12-01`; empty is today) in `zone`: its start and end. */
export const parseDay = (
  text: string,
  now: number,
  zone: string
): Either.Either<{ readonly start: number; readonly end: number; readonly label: string }, string> => {
  const input = text.trim().toLowerCase()
  const today = wallAt(now, zone)
  let day: Wall | undefined
  if (input === "" || input === "today") day = { ...today, hour: 0, minute: 0 }
  else if (input === "tomorrow") day = { ...addDays(today, 1), hour: 0, minute: 0 }
  else {
    const dated = /^(\d{4})-(\d{2})-(\d{2})$/.exec(input)
    if (dated !== null)
      day = { year: Number(dated[1]), month: Number(dated[2]), day: Number(dated[3]), hour: 0, minute: 0 }
  }
  if (day === undefined || !validWall(day))
    return Either.left("Write the day as today, tomorrow or a date (2026-12-01).")
  const label = `${day.year}-${String(day.month).padStart(2, "0")}-${String(day.day).padStart(2, "0")}`
  return Either.right({ start: instantOf(day, zone), end: instantOf(addDays(day, 1), zone), label })
}

/** `at` as the team reads it in `zone`: `2026-12-01 09:30`. */
export const formatAt = (at: number, zone: string): string => {
  const wall = wallAt(at, zone)
  const two = (n: number) => String(n).padStart(2, "0")
  return `${wall.year}-${two(wall.month)}-${two(wall.day)} ${two(wall.hour)}:${two(wall.minute)}`
}
