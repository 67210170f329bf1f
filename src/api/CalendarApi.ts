import { HttpApiBuilder } from "@effect/platform"
import { SqlClient } from "@effect/sql"
import { Effect, Layer, Schema } from "effect"
import { Booking } from "../../plugins/reminders/shared.ts"
import { icsCalendar, type IcsEvent } from "../assistants/Ics.ts"
import { BacklineApi } from "./Api.ts"
import { requireScope } from "./Auth.ts"

/** The plugin whose bookings the feed holds (`/book`, stored under `booking:<id>` in the group's storage). */
const calendarPlugin = "reminders"

/** Bookings that ended longer ago than this are left out of the feed. */
const pastDays = 90

/** The group's bookings from the plugin's storage, as feed events. */
const bookingsOf = (sql: SqlClient.SqlClient, group: number) =>
  Effect.gen(function* () {
    const since = Date.now() - pastDays * 86_400_000
    const rows = yield* sql<{ value: unknown; updated_at: Date }>`
      select value, updated_at from plugin_state
      where plugin_id = ${calendarPlugin} and chat_id = ${group} and thread_id = 0 and starts_with(key, 'booking:')`
    return rows
      .flatMap((row) => {
        const booking = Schema.decodeUnknownOption(Booking)(row.value)
        if (booking._tag === "None" || booking.value.end < since) return []
        const { id, start, end, title, by, threadId } = booking.value
        const event: IcsEvent = {
          uid: `booking-${id}@${-group}.backline`,
          start,
          end,
          summary: title,
          stamp: row.updated_at.getTime(),
          description: `Booked by ${by.name} in topic ${threadId}`,
          url: `https://t.me/c/${String(-group).replace(/^100/, "")}/${threadId}`
        }
        return [event]
      })
      .sort((a, b) => a.start - b.start)
  }).pipe(Effect.orDie)

/**
 * The handler of `GET /api/v1/groups/{group}/calendar.ics` (`CalendarGroup`, in
 * src/assistants/CalendarFeed.ts): the group's bookings as an iCalendar feed.
 */
export const CalendarApiLive = Layer.suspend(() =>
  HttpApiBuilder.group(BacklineApi, "calendar", (handlers) =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      return handlers.handle("calendarFeed", ({ path }) =>
        Effect.gen(function* () {
          yield* requireScope("calendar:read", path.group)
          const events = yield* bookingsOf(sql, path.group)
          return icsCalendar({ name: "Backline bookings", prodId: "-//Backline//Calendar//EN" }, events)
        })
      )
    })
  )
)
