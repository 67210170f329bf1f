import { Duration, Effect, Either, Option } from "effect"
import type { CommandIssued } from "../../src/plugins/definePlugin.ts"
import {
  Booking,
  bookingKey,
  bookingTimer,
  html,
  valuesOf,
  type Booking as BookingValue,
  type Ctx
} from "./shared.ts"
import { formatAt, leadingDuration, parseDay, parseWhen } from "./when.ts"

const usage = "Usage: /book <when> <duration> <title>, e.g. /book tomorrow 10:00 30m Call with Anna"

const clock = (at: number, zone: string) => formatAt(at, zone).slice(11)

const slot = (booking: BookingValue, zone: string) =>
  `${formatAt(booking.start, zone)}–${clock(booking.end, zone)}`

const bookings = (ctx: Ctx) =>
  Effect.map(ctx.storage.group.entries(), (entries) => valuesOf(entries, "booking:", Booking))

/** `/book <when> <duration> <title>`: books a slot in the group's calendar, unless it overlaps another. */
export const book = (command: CommandIssued, ctx: Ctx) =>
  Effect.gen(function* () {
    const zone = ctx.config.timeZone
    const now = Date.now()
    const when = parseWhen(command.args, now, zone)
    if (Either.isLeft(when)) return yield* ctx.reply(`${when.left}\n${usage}`)
    const length = leadingDuration(when.right.rest)
    if (length === undefined || length.ms < 60_000)
      return yield* ctx.reply(`How long is it? Give a duration after the time (30m, 1h, 1h30m).\n${usage}`)
    if (length.ms > ctx.config.maxBookingMinutes * 60_000)
      return yield* ctx.reply(`A booking may last at most ${ctx.config.maxBookingMinutes} minutes.`)
    if (length.rest === "")
      return yield* ctx.reply(`What is it for? Give a title after the duration.\n${usage}`)
    const booking: BookingValue = {
      id: command.messageId,
      chatId: command.chatId,
      threadId: command.threadId,
      start: when.right.at,
      end: when.right.at + length.ms,
      title: length.rest.slice(0, 200),
      by: { id: command.from?.id ?? 0, name: command.from?.first_name ?? "the group" },
      createdAt: now
    }
    const clash = (yield* bookings(ctx)).find(
      (other) => other.start < booking.end && booking.start < other.end
    )
    if (clash !== undefined)
      return yield* ctx.reply(
        `⛔ Not booked: ${slot(booking, zone)} overlaps "${clash.title}" (${slot(clash, zone)}). Pick another time; /agenda shows the day.`
      )
    yield* ctx.storage.group.set(bookingKey(booking.id), booking)
    const lead = ctx.config.bookingReminderMinutes * 60_000
    if (lead > 0)
      yield* ctx.timers.set(
        bookingTimer(booking.chatId, booking.id),
        Duration.millis(Math.max(0, booking.start - lead - now)),
        {
          type: "reminders.booking",
          chatId: booking.chatId,
          id: booking.id,
          slot: slot(booking, zone)
        }
      )
    yield* ctx.reply(`📅 Booked: ${booking.title}, ${slot(booking, zone)} (${zone}).`)
  })

/** `/agenda [day]`: the group's bookings of a day (today by default). */
export const agenda = (command: CommandIssued, ctx: Ctx) =>
  Effect.gen(function* () {
    const zone = ctx.config.timeZone
    const day = parseDay(command.args, Date.now(), zone)
    if (Either.isLeft(day)) return yield* ctx.reply(day.left)
    const { start, end, label } = day.right
    const that = (yield* bookings(ctx))
      .filter((booking) => booking.start < end && start < booking.end)
      .sort((a, b) => a.start - b.start)
    if (that.length === 0) return yield* ctx.reply(`Nothing booked on ${label} (${zone}).`)
    const lines = that.map(
      (booking) =>
        `${clock(booking.start, zone)}–${clock(booking.end, zone)} ${html(booking.title)} (${html(booking.by.name)})`
    )
    yield* ctx.reply(`<b>Agenda ${label}</b> (${html(zone)})\n${lines.join("\n")}`, { parse_mode: "HTML" })
  })

/** A booking is near: its topic is told. */
export const remindBooking = (chatId: number, id: number, slotText: string, ctx: Ctx) =>
  Effect.gen(function* () {
    const found = yield* ctx.storage
      .at({ chatId })
      .get(bookingKey(id), Booking)
      .pipe(Effect.orElseSucceed(() => Option.none()))
    if (Option.isNone(found)) return
    const booking = found.value
    yield* ctx.post({ chatId, threadId: booking.threadId }, `📅 Coming up: ${booking.title}, ${slotText}.`)
  })
