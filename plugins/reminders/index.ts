import { Effect } from "effect"
import { definePlugin } from "../../src/plugins/definePlugin.ts"
import { agenda, book, remindBooking } from "./calendar.ts"
import { fire, list, press, remind } from "./remind.ts"
import { Config } from "./shared.ts"

export { Booking, bookingKey } from "./shared.ts"

export default definePlugin({
  id: "reminders",
  description:
    "Reminders in any topic (/remind, /reminders) and a team calendar of calls (/book, /agenda, ICS feed)",
  config: Config,
  on: {
    "timer.fired": (fired, ctx) => {
      const { type, chatId, id, slot } = fired.event
      if (typeof chatId !== "number" || typeof id !== "number") return Effect.void
      if (type === "reminders.remind") return fire(chatId, id, ctx)
      if (type === "reminders.booking") return remindBooking(chatId, id, String(slot), ctx)
      return Effect.void
    },
    "group.buttonPressed": (event, ctx) => {
      const [plugin, ...data] = (event.data ?? "").split(":")
      return plugin === "reminders" ? press(event, ctx, data) : Effect.void
    }
  },
  commands: [
    {
      name: "remind",
      description: "Remind you here: /remind in 2h call back, /remind tomorrow 10:00 stand-up",
      args: "<when> <text>",
      run: remind
    },
    { name: "reminders", description: "The reminders of this topic, to snooze or cancel", run: list },
    {
      name: "book",
      description: "Book a slot for a call: /book tomorrow 10:00 30m Call with Anna",
      args: "<when> <duration> <title>",
      run: book
    },
    {
      name: "agenda",
      description: "The calendar's bookings of a day",
      args: "[today|tomorrow|YYYY-MM-DD]",
      run: agenda
    }
  ]
})
