import { PgClient } from "@effect/sql-pg"
import { Data, Effect, Layer, Option, Redacted } from "effect"
import { AppConfig } from "../Config.ts"
import { startEmbeddedPostgres } from "./EmbeddedPostgres.ts"

/** PostgreSQL did not answer at start-up; `target` names the server without its password. */
export class DatabaseUnreachable extends Data.TaggedError("DatabaseUnreachable")<{
  readonly target: string
  readonly reason: string
}> {}

/** `host:port/database` of a connection URL, never its password. */
export const describeDatabaseUrl = (url: Redacted.Redacted<string>): string => {
  const parsed = new URL(Redacted.value(url))
  return `${parsed.hostname}:${parsed.port || "5432"}${parsed.pathname}`
}

const reasonOf = (cause: unknown): string => {
  const inner = (cause as { cause?: unknown }).cause ?? cause
  if (inner instanceof AggregateError && inner.errors.length > 0) return reasonOf(inner.errors[0])
  if (inner instanceof Error) return inner.message || inner.name
  return String(inner)
}

/** A `PgClient` (and `SqlClient`) for one URL; fails with `DatabaseUnreachable` if nothing answers. */
export const pgLayer = (url: Redacted.Redacted<string>, via: string) =>
  PgClient.layer({ url, applicationName: "backline", connectTimeout: "10 seconds" }).pipe(
    Layer.mapError(
      (error) =>
        new DatabaseUnreachable({ target: `${describeDatabaseUrl(url)} (${via})`, reason: reasonOf(error) })
    )
  )

/**
 * The database Backline runs on: the server in `DATABASE_URL`, or else an embedded PostgreSQL in
 * `BACKLINE_DATA_DIR/pg`, started with this layer and stopped after the connection pool closes.
 */
export const SqlLive = Layer.unwrapScoped(
  Effect.gen(function* () {
    const config = yield* AppConfig
    if (Option.isSome(config.databaseUrl)) {
      yield* Effect.logInfo(`database: PostgreSQL at ${describeDatabaseUrl(config.databaseUrl.value)}`)
      return pgLayer(config.databaseUrl.value, "DATABASE_URL")
    }
    const embedded = yield* startEmbeddedPostgres(config.dataDir)
    yield* Effect.logInfo(
      `database: embedded PostgreSQL in ${embedded.pgDir} on 127.0.0.1:${embedded.port}` +
        (embedded.created ? " (created)" : " (existing data reused)")
    )
    return pgLayer(embedded.url, "embedded")
  })
)
