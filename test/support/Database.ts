import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Redacted } from "effect"
import { inject } from "vitest"
import { createDatabase } from "./Databases.ts"

/** A new, empty database on the test server: its URL and a function that drops it. */
export const createTestDatabase = (): Promise<{ url: string; drop: () => Promise<void> }> =>
  createDatabase(inject("adminDatabaseUrl"))

/** A `PgClient`/`SqlClient` layer on a fresh database, dropped when the layer is released. */
export const TestDatabaseLive = Layer.unwrapScoped(
  Effect.acquireRelease(
    Effect.promise(() => createTestDatabase()),
    (db) => Effect.promise(() => db.drop())
  ).pipe(Effect.map((db) => PgClient.layer({ url: Redacted.make(db.url) })))
)
