import { Schema } from "effect"
import type { PluginContext } from "../../src/plugins/definePlugin.ts"
import { isTimeZone } from "./when.ts"

export const Config = Schema.Struct({
  /** The group's IANA time zone: how `tomorrow 10:00` and `/agenda` are read and times shown. */
  timeZone: Schema.optionalWith(
    Schema.String.pipe(
      Schema.filter(isTimeZone, {
        message: () => "must be an IANA time zone such as Europe/Berlin, America/New_York or UTC"
      })
    ),
    { default: () => "UTC" }
  ),
  /** Minutes before a booking that its topic is reminded; 0: no reminder. */
  bookingReminderMinutes: Schema.optionalWith(Schema.Int.pipe(Schema.between(0, 1440)), {
    default: () => 10
  }),
  /** The longest booking, in minutes. */
  maxBookingMinutes: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 1440)), { default: () => 480 })
})
export type Config = typeof Config.Type
export type Ctx = PluginContext<Config>

export const Person = Schema.Struct({ id: Schema.Number, name: Schema.String })

/** A reminder: kept in the group's storage under `reminder:<id>` until it fired and is no longer snoozable. */
export const Reminder = Schema.Struct({
  id: Schema.Number,
  chatId: Schema.Number,
  threadId: Schema.Number,
  at: Schema.Number,
  text: Schema.String,
  author: Person,
  fired: Schema.optionalWith(Schema.Boolean, { default: () => false })
})
export type Reminder = typeof Reminder.Type

/** A booked slot: under `booking:<id>` in the group's storage; the ICS feed reads them there. */
export const Booking = Schema.Struct({
  id: Schema.Number,
  chatId: Schema.Number,
  threadId: Schema.Number,
  start: Schema.Number,
  end: Schema.Number,
  title: Schema.String,
  by: Person,
  createdAt: Schema.Number
})
export type Booking = typeof Booking.Type

export const reminderKey = (id: number) => `reminder:${id}`
export const bookingKey = (id: number) => `booking:${id}`
export const reminderTimer = (chatId: number, id: number) => `remind:${chatId}:${id}`
export const bookingTimer = (chatId: number, id: number) => `booking:${chatId}:${id}`

export const html = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")

export const mention = (person: { readonly id: number; readonly name: string }) =>
  `<a href="tg://user?id=${person.id}">${html(person.name)}</a>`

/** The stored values under `prefix` decoded with `schema` (others skipped), in key order. */
export const valuesOf = <A, I>(
  entries: ReadonlyArray<readonly [string, unknown]>,
  prefix: string,
  schema: Schema.Schema<A, I>
): Array<A> =>
  entries.flatMap(([key, value]) => {
    if (!key.startsWith(prefix)) return []
    const decoded = Schema.decodeUnknownOption(schema)(value)
    return decoded._tag === "Some" ? [decoded.value] : []
  })
