import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { Forbidden } from "../api/ApiErrors.ts"
import { Authorization } from "../api/Auth.ts"

/**
 * `GET /api/v1/groups/{group}/calendar.ics`: the group's bookings (`/book` of the reminders plugin)
 * as an iCalendar feed, for the team's calendar apps. Scope `calendar:read`; apps that cannot send
 * headers pass the token as `?access_token=`. Its handler is `CalendarApiLive` (src/api/CalendarApi.ts);
 * this module holds only the endpoint, so that `BacklineApi` can add it without an import cycle.
 */
export class CalendarGroup extends HttpApiGroup.make("calendar")
  .add(
    HttpApiEndpoint.get("calendarFeed", "/api/v1/groups/:group/calendar.ics")
      .setPath(
        Schema.Struct({
          group: Schema.NumberFromString.pipe(Schema.int()).annotations({
            description: "The backend group's chat id, e.g. -1001234567890"
          })
        })
      )
      .setUrlParams(
        Schema.Struct({
          access_token: Schema.optional(Schema.String).annotations({
            description: "The token, for calendar apps that cannot send an Authorization header"
          })
        })
      )
      .addSuccess(HttpApiSchema.Text({ contentType: "text/calendar; charset=utf-8" }))
      .annotate(
        OpenApi.Description,
        "The group's bookings (/book of the reminders plugin) as an iCalendar (RFC 5545) feed. Scope calendar:read."
      )
  )
  .middleware(Authorization)
  .addError(Forbidden) {}
