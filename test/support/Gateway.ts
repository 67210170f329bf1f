/** Helpers shared by the Gateway and Webhook tests. */
import { SqlClient } from "@effect/sql"
import { Duration, Effect, Either, Layer, Schedule } from "effect"
import type { Api } from "grammy"
import { decodeUpdate, type DomainEvent } from "../../src/domain/Events.ts"
import type { ConnectionId } from "../../src/domain/Ids.ts"
import { startSandbox, type ServeOptions } from "../../src/sandbox/Server.ts"
import { MigrationState, runMigrations } from "../../src/sql/Migrations.ts"
import { GatewaySettings } from "../../src/telegram/Polling.ts"
import { TestDatabaseLive } from "./Database.ts"

/** A fresh, migrated database for each test. */
export const MigratedDatabase = Layer.effectDiscard(runMigrations()).pipe(
  Layer.provide(MigrationState.Default),
  Layer.provideMerge(TestDatabaseLive)
)

export const fast = Layer.succeed(GatewaySettings, {
  timeoutSeconds: 1,
  limit: 100,
  initialBackoff: Duration.millis(50),
  maxBackoff: Duration.millis(200)
})

export const sandbox = (options: ServeOptions = {}) =>
  Effect.acquireRelease(
    Effect.promise(() => startSandbox({ limits: { enabled: false }, ...options })),
    (box) => Effect.promise(() => box.close())
  )

export interface Row {
  readonly update_id: string
  readonly status: string
  readonly payload: unknown
}

export const inboxRows = (connection: string) =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) => sql<Row>`
      select update_id, status, payload from inbox where connection_id = ${connection} order by update_id`
  ).pipe(Effect.orDie)

/** The connection's rows holding a `message` (what the tests' users write), leaving out the rest. */
export const messageRows = (connection: string) =>
  Effect.map(inboxRows(connection), (rows) =>
    rows.filter((row) => typeof row.payload === "object" && row.payload !== null && "message" in row.payload)
  )

export const eventsOf = (connection: ConnectionId, rows: ReadonlyArray<Row>): Array<DomainEvent> =>
  rows.flatMap((row) => Either.getOrElse(decodeUpdate(connection, row.payload), () => []))

/** Polls `probe` until it answers a value, dying after `timeout`. */
export const eventually = <A, R>(
  probe: Effect.Effect<A | undefined | false, never, R>,
  timeout: Duration.DurationInput = "5 seconds"
) =>
  probe.pipe(
    Effect.flatMap((value) =>
      value === undefined || value === false ? Effect.fail("not yet" as const) : Effect.succeed(value)
    ),
    Effect.retry(Schedule.spaced("20 millis")),
    Effect.timeoutFail({ duration: timeout, onTimeout: () => new Error("condition not met in time") }),
    Effect.orDie
  )

export const pendingAtTelegram = (api: Api) =>
  Effect.promise(() => api.getWebhookInfo()).pipe(Effect.map((info) => info.pending_update_count))
