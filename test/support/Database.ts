import { randomBytes } from "node:crypto"
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Redacted } from "effect"
import pg from "pg"
import { inject } from "vitest"

const admin = async <A>(run: (client: pg.Client) => Promise<A>): Promise<A> => {
  const client = new pg.Client({ connectionString: inject("adminDatabaseUrl") })
  await client.connect()
  try {
    return await run(client)
  } finally {
    await client.end()
  }
}

/** A new, empty database on the test server: its URL and a function that drops it. */
export const createTestDatabase = async (): Promise<{ url: string; drop: () => Promise<void> }> => {
  const name = `backline_test_${randomBytes(6).toString("hex")}`
  await admin((client) => client.query(`create database ${name}`))
  const url = new URL(inject("adminDatabaseUrl"))
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: () =>
      admin((client) => client.query(`drop database if exists ${name} with (force)`)).then(() => undefined)
  }
}

/** A `PgClient`/`SqlClient` layer on a fresh database, dropped when the layer is released. */
export const TestDatabaseLive = Layer.unwrapScoped(
  Effect.acquireRelease(
    Effect.promise(() => createTestDatabase()),
    (db) => Effect.promise(() => db.drop())
  ).pipe(Effect.map((db) => PgClient.layer({ url: Redacted.make(db.url) })))
)
