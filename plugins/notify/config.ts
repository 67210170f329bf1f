import { Schema } from "effect"
import { templateProblem } from "./template.ts"

/** The other plugins' events a route can take (`events`); each is a handler of `notify`. */
export const feeds = ["tasks.changed", "announcements.posted"] as const
export type Feed = (typeof feeds)[number]

export const severities = { info: "ℹ️", warning: "⚠️", critical: "🚨" } as const

const name = /^[a-z0-9][a-z0-9_-]{0,31}$/

const Seconds = (what: string) =>
  Schema.Int.pipe(
    Schema.between(1, 7 * 86_400, { message: () => `${what} must be a whole number of seconds, 1 to 604800` })
  )

const Template = Schema.String.pipe(
  Schema.minLength(1, { message: () => "must not be empty" }),
  Schema.maxLength(2000, { message: () => "must be at most 2000 characters" }),
  Schema.filter((template) => templateProblem(template) ?? true)
)

/** One route: where its notifications go, what they say, and how repeats and floods are handled. */
export const Route = Schema.Struct({
  /** The HTTP API source it takes (`POST /api/v1/events/{source}`); default: the route's name. */
  source: Schema.optional(
    Schema.String.pipe(
      Schema.pattern(name, { message: () => "must be lower-case letters, digits, - or _ (at most 32)" })
    )
  ),
  // `exact` on the fields that nest: a mistake inside is reported there, not also as "Expected undefined".
  /** Other plugins' events it takes. */
  events: Schema.optionalWith(
    Schema.Array(
      Schema.Literal(...feeds).annotations({
        message: () => ({
          message: `must be one of the events notify takes: ${feeds.join(", ")}`,
          override: true
        })
      })
    ),
    { default: () => [], exact: true }
  ),
  /** A topic's thread id or its name; default: the group's Notifications topic. */
  topic: Schema.optional(
    Schema.Union(
      Schema.Int.pipe(Schema.greaterThan(1)),
      Schema.String.pipe(Schema.minLength(1), Schema.maxLength(128))
    ).annotations({
      message: () => ({
        message: "must be a topic's thread id (a number over 1) or its name",
        override: true
      })
    })
  ),
  template: Template,
  severity: Schema.optionalWith(
    Schema.Literal("info", "warning", "critical").annotations({
      message: () => ({ message: "must be info, warning or critical", override: true })
    }),
    { default: () => "info" as const }
  ),
  /** Repeats with the same key (a template over the body) within `seconds` update one message. */
  dedup: Schema.optionalWith(
    Schema.Struct({
      key: Template,
      seconds: Schema.optionalWith(Seconds("dedup.seconds"), { default: () => 600 })
    }),
    { exact: true }
  ),
  /** At most `max` messages per `seconds`; the rest are counted and summarised when the window ends. */
  rateLimit: Schema.optionalWith(
    Schema.Struct({
      max: Schema.Int.pipe(Schema.between(1, 1000, { message: () => "must be a whole number, 1 to 1000" })),
      seconds: Seconds("rateLimit.seconds")
    }),
    { exact: true }
  )
})
export type Route = typeof Route.Type

export const Config = Schema.Struct({
  routes: Schema.optionalWith(
    Schema.Record({ key: Schema.String, value: Route }).pipe(
      Schema.filter((routes) => {
        const bad = Object.keys(routes).find((route) => !name.test(route))
        return bad === undefined
          ? true
          : { path: [bad], message: "a route's name is lower-case letters, digits, - or _ (at most 32)" }
      })
    ),
    { default: () => ({}), exact: true }
  )
})
export type Config = typeof Config.Type

/** The routes that take `api.eventReceived` from `source`. */
export const routesForSource = (config: Config, source: string) =>
  Object.entries(config.routes).filter(([route, entry]) => (entry.source ?? route) === source)

/** The routes that take the plugin event `type`. */
export const routesForEvent = (config: Config, type: Feed) =>
  Object.entries(config.routes).filter(([, entry]) => entry.events.includes(type))
