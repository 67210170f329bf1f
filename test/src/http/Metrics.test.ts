import { HttpServer } from "@effect/platform"
import { SqlClient } from "@effect/sql"
import { layer } from "@effect/vitest"
import { Effect, Layer, Metric, Option } from "effect"
import { expect } from "vitest"
import { ActorHost } from "../../../src/actors/ActorHost.ts"
import { RouterLive } from "../../../src/actors/Router.ts"
import { InboxFeed } from "../../../src/telegram/InboxFeed.ts"
import { AppConfig } from "../../../src/Config.ts"
import { displayUrl, HttpLive } from "../../../src/http/Http.ts"
import { MetricsRoutes } from "../../../src/http/Metrics.ts"
import { Notifications } from "../../../src/sql/Notifications.ts"
import { sendsTotal } from "../../../src/telegram/Sender.ts"
import { testConfig } from "../../support/Config.ts"
import { eventually, MigratedDatabase } from "../../support/Gateway.ts"
import { privateMessage, topicCreated } from "../../support/Updates.ts"

const Live = HttpLive.pipe(
  Layer.provide(MetricsRoutes),
  Layer.provideMerge(ActorHost.Default),
  Layer.provideMerge(Layer.mergeAll(MigratedDatabase, Layer.succeed(AppConfig, testConfig(Option.none()))))
)

const metricName = "[a-zA-Z_:][a-zA-Z0-9_:]*"
const labelPair = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`
const sampleLine = new RegExp(
  `^(${metricName})(?:\\{${labelPair}(?:,${labelPair})*\\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$`
)

/**
 * Parses the Prometheus text format strictly: every line is a HELP, a TYPE or a sample; every
 * sample follows its family's single TYPE line. Answers the samples by `name{labels}`.
 */
const parse = (text: string) => {
  expect(text.endsWith("\n")).toBe(true)
  const types = new Map<string, string>()
  const samples = new Map<string, number>()
  for (const line of text.slice(0, -1).split("\n")) {
    const help = line.match(new RegExp(`^# HELP (${metricName}) \\S.*$`))
    const type = line.match(new RegExp(`^# TYPE (${metricName}) (counter|gauge)$`))
    if (help !== null) continue
    if (type !== null) {
      expect(types.has(type[1] ?? ""), `TYPE of ${type[1]} given twice`).toBe(false)
      types.set(type[1] ?? "", type[2] ?? "")
      continue
    }
    const sample = line.match(sampleLine)
    expect(sample, `not a Prometheus line: ${line}`).not.toBeNull()
    const name = sample?.[1] ?? ""
    expect(types.has(name), `${name} has no TYPE line before its sample`).toBe(true)
    samples.set(line.slice(0, line.lastIndexOf(" ")), Number(sample?.[2]))
  }
  return { types, samples }
}

const scrape = Effect.gen(function* () {
  const url = displayUrl((yield* HttpServer.HttpServer).address)
  const response = yield* Effect.promise(() => fetch(`${url}/metrics`))
  expect(response.status).toBe(200)
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/)
  return parse(yield* Effect.promise(() => response.text()))
})

layer(Live, { timeout: 60_000, excludeTestServices: true })("GET /metrics", (it) => {
  it.effect("counts the inbox, journal, outbox, actors and sends as rows are added and processed", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const fresh = yield* scrape
      expect(Object.fromEntries(fresh.types)).toMatchObject({
        backline_database_up: "gauge",
        backline_inbox_updates: "gauge",
        backline_inbox_lag_seconds: "gauge",
        backline_journal_rows: "gauge",
        backline_outbox_pending: "gauge",
        backline_mail_pending: "gauge",
        backline_timers_pending: "gauge",
        backline_actors_active: "gauge",
        backline_actors_passivated: "gauge",
        backline_telegram_sends_total: "counter",
        backline_telegram_429_total: "counter",
        backline_router_updates_total: "counter"
      })
      expect(Object.fromEntries(fresh.samples)).toEqual({
        backline_database_up: 1,
        'backline_inbox_updates{status="pending"}': 0,
        'backline_inbox_updates{status="done"}': 0,
        'backline_inbox_updates{status="dead"}': 0,
        backline_inbox_lag_seconds: 0,
        backline_journal_rows: 0,
        backline_outbox_pending: 0,
        backline_mail_pending: 0,
        backline_timers_pending: 0,
        backline_actors_active: 0,
        backline_actors_passivated: 0
      })

      // Two updates waiting for half a minute, a send queued, an actor stored but not in memory.
      yield* sql`
        insert into inbox (connection_id, update_id, payload, received_at) values
          ('bot:7', 1, ${JSON.stringify(topicCreated)}::jsonb, now() - interval '30 seconds'),
          ('bot:7', 2, ${JSON.stringify(privateMessage)}::jsonb, now() - interval '10 seconds')`
      yield* sql`
        insert into outbox (connection_id, chat_id, method, params)
        values ('bot:7', -1001, 'sendMessage', '{"text":"hi"}'::jsonb)`
      yield* sql`
        insert into actor_snapshot (actor_key, machine, version, snapshot)
        values ('group:-2002', 'group', 1, '{}'::jsonb)`
      const waiting = (yield* scrape).samples
      expect(waiting.get('backline_inbox_updates{status="pending"}')).toBe(2)
      expect(waiting.get("backline_inbox_lag_seconds")).toBeGreaterThanOrEqual(30)
      expect(waiting.get("backline_inbox_lag_seconds")).toBeLessThan(60)
      expect(waiting.get("backline_outbox_pending")).toBe(1)
      expect(waiting.get("backline_actors_passivated")).toBe(1)

      // The Router takes both: one to the group actor (journalled), one without an actor.
      yield* Layer.build(
        RouterLive.pipe(Layer.provide(Layer.mergeAll(Notifications.Default, InboxFeed.Default)))
      )
      yield* eventually(
        Effect.map(scrape, ({ samples }) => samples.get('backline_inbox_updates{status="done"}') === 2),
        "10 seconds"
      )
      yield* Metric.increment(
        Metric.tagged(Metric.tagged(sendsTotal, "method", "sendMessage"), "result", "sent")
      )
      const processed = Object.fromEntries((yield* scrape).samples)
      expect(processed).toMatchObject({
        'backline_inbox_updates{status="pending"}': 0,
        'backline_inbox_updates{status="done"}': 2,
        backline_inbox_lag_seconds: 0,
        backline_journal_rows: 1,
        backline_actors_active: 1,
        backline_actors_passivated: 1,
        'backline_router_updates_total{result="delivered"}': 1,
        'backline_router_updates_total{result="no_actor"}': 1,
        'backline_telegram_sends_total{method="sendMessage",result="sent"}': 1
      })
    }).pipe(Effect.scoped)
  )
})
