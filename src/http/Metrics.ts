import { HttpServerResponse } from "@effect/platform"
import { SqlClient } from "@effect/sql"
import { Effect, Metric, MetricState, Option } from "effect"
import { ActorHost } from "../actors/ActorHost.ts"
import { AppRouter } from "./Http.ts"

/** One metric family of the Prometheus text format: its HELP, TYPE and samples. */
export interface Family {
  readonly name: string
  readonly help: string
  readonly type: "counter" | "gauge"
  readonly samples: ReadonlyArray<{
    readonly labels: Readonly<Record<string, string>>
    readonly value: number | bigint
  }>
}

/** The content type of the Prometheus text exposition format. */
export const prometheusContentType = "text/plain; version=0.0.4; charset=utf-8"

// Counters kept with effect's `Metric` whose series appear only after their first increment: their
// HELP and TYPE are written from the start, so a scraper sees every family of a fresh process.
const declared: ReadonlyArray<Pick<Family, "name" | "help" | "type">> = [
  {
    name: "backline_telegram_sends_total",
    help: "Bot API calls made by the Sender, by method and result",
    type: "counter"
  },
  { name: "backline_telegram_429_total", help: "Too Many Requests answers from Telegram", type: "counter" },
  {
    name: "backline_router_updates_total",
    help: "Inbox updates processed by the Router, by result",
    type: "counter"
  }
]

const metricName = (name: string) => name.replace(/[^a-zA-Z0-9_:]/g, "_").replace(/^(?=[0-9])/, "_")
const escapeHelp = (text: string) => text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")
const escapeLabel = (text: string) => text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")
const formatValue = (value: number | bigint) =>
  typeof value === "bigint"
    ? value.toString()
    : Number.isNaN(value)
      ? "NaN"
      : value === Infinity
        ? "+Inf"
        : value === -Infinity
          ? "-Inf"
          : String(value)

/** Writes metric families in the Prometheus text format (version 0.0.4). */
export const renderPrometheus = (families: ReadonlyArray<Family>): string =>
  families
    .flatMap((family) => [
      `# HELP ${family.name} ${escapeHelp(family.help)}`,
      `# TYPE ${family.name} ${family.type}`,
      ...family.samples.map((sample) => {
        const labels = Object.entries(sample.labels)
          .map(([key, value]) => `${metricName(key)}="${escapeLabel(value)}"`)
          .join(",")
        return `${family.name}${labels === "" ? "" : `{${labels}}`} ${formatValue(sample.value)}`
      })
    ])
    .map((line) => `${line}\n`)
    .join("")

/** The `backline_*` counters and gauges recorded with effect's `Metric` in this process, one family per name. */
export const effectMetricFamilies = Effect.map(Metric.snapshot, (pairs) => {
  const families = new Map<
    string,
    { help: string; type: Family["type"]; samples: Array<Family["samples"][number]> }
  >(declared.map((family) => [family.name, { help: family.help, type: family.type, samples: [] }]))
  for (const pair of pairs) {
    const state: unknown = pair.metricState
    const value = MetricState.isCounterState(state)
      ? { type: "counter" as const, value: state.count }
      : MetricState.isGaugeState(state)
        ? { type: "gauge" as const, value: state.value }
        : undefined
    const name = metricName(pair.metricKey.name)
    // Backline's own only (not effect's fiber metrics); histograms, summaries and frequencies are not exposed yet.
    if (value === undefined || !name.startsWith("backline_")) continue
    const family = families.get(name) ?? {
      help: Option.getOrElse(pair.metricKey.description, () => name),
      type: value.type,
      samples: []
    }
    if (family.type !== value.type) continue
    family.samples.push({
      labels: Object.fromEntries(pair.metricKey.tags.map((tag) => [tag.key, tag.value])),
      value: value.value
    })
    families.set(name, family)
  }
  return [...families.entries()].map(([name, family]): Family => ({ name, ...family }))
})

interface Counts {
  readonly pending: number
  readonly done: number
  readonly dead: number
  readonly lag: number
  readonly journal: number
  readonly outbox: number
  readonly mail: number
  readonly timers: number
  readonly passivated: number
}

const gauge = (name: string, help: string, value: number): Family => ({
  name,
  help,
  type: "gauge",
  samples: [{ labels: {}, value }]
})

/**
 * `GET /metrics`: Prometheus text. The counts kept in PostgreSQL (inbox, journal, outbox,
 * snapshots) are read with one statement at scrape time; the Sender's and Router's counters and
 * the actors in memory come from this process. Should the database not answer, the in-process
 * figures are still served, with `backline_database_up 0`.
 */
export const MetricsRoutes = AppRouter.use((router) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const host = yield* ActorHost

    const counts = (live: ReadonlyArray<string>) =>
      sql<Counts>`
        select
          (select count(*) from inbox where status = 'pending')::float8 as pending,
          (select count(*) from inbox where status = 'done')::float8 as done,
          (select count(*) from inbox where status = 'dead')::float8 as dead,
          coalesce((select extract(epoch from now() - min(received_at)) from inbox where status = 'pending'), 0)::float8 as lag,
          (select count(*) from journal)::float8 as journal,
          (select count(*) from outbox where status = 'pending')::float8 as outbox,
          (select count(*) from actor_mail where status = 'pending')::float8 as mail,
          (select count(*) from timer)::float8 as timers,
          (select count(*) from actor_snapshot
            where actor_key not in (select jsonb_array_elements_text(${JSON.stringify(live)}::jsonb)))::float8 as passivated`.pipe(
        Effect.timeout("5 seconds"),
        Effect.map((rows) => Option.fromNullable(rows[0])),
        Effect.catchAll(() => Effect.succeed(Option.none<Counts>()))
      )

    yield* router.get(
      "/metrics",
      Effect.gen(function* () {
        const live = yield* host.liveKeys
        const stored = yield* counts(live)
        const database: ReadonlyArray<Family> = Option.match(stored, {
          onNone: () => [],
          onSome: (row) => [
            {
              name: "backline_inbox_updates",
              help: "Updates received into the inbox, by status (pending, done, dead)",
              type: "gauge",
              samples: (["pending", "done", "dead"] as const).map((status) => ({
                labels: { status },
                value: row[status]
              }))
            },
            gauge(
              "backline_inbox_lag_seconds",
              "Age of the oldest pending inbox row in seconds, 0 when none is pending",
              row.lag
            ),
            gauge("backline_journal_rows", "Rows in the journal", row.journal),
            gauge("backline_outbox_pending", "Outbox rows waiting to be sent", row.outbox),
            gauge("backline_mail_pending", "Actor mail (timers, results, commands) waiting", row.mail),
            gauge("backline_timers_pending", "Durable timers set and not yet due", row.timers),
            gauge(
              "backline_actors_passivated",
              "Actors with a stored snapshot that are not in memory",
              row.passivated
            )
          ]
        })
        const families = [
          gauge(
            "backline_database_up",
            "1 if PostgreSQL answered this scrape, 0 if not",
            stored._tag === "Some" ? 1 : 0
          ),
          ...database,
          gauge("backline_actors_active", "Actors in memory", live.length),
          ...(yield* effectMetricFamilies)
        ]
        return HttpServerResponse.text(renderPrometheus(families), { contentType: prometheusContentType })
      })
    )
  })
)
