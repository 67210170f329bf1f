import { SqlClient } from "@effect/sql"
import { layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import pg from "pg"
import { expect } from "vitest"
import { MigrationState, runMigrations } from "../../../src/sql/Migrations.ts"
import { createTestDatabase, TestDatabaseLive } from "../../support/Database.ts"

const Database = Layer.effectDiscard(runMigrations()).pipe(
  Layer.provide(MigrationState.Default),
  Layer.provideMerge(TestDatabaseLive)
)

/** A connection to `url` holding a transaction with an id (as one that has written has), until the scope closes. */
const openTransaction = (url: string) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      await client.query("begin")
      const { rows } = await client.query<{ id: string }>("select pg_current_xact_id()::text as id")
      return { client, id: rows[0]!.id }
    }),
    ({ client }) => Effect.promise(() => client.query("rollback").finally(() => client.end()))
  )

/**
 * An empty journal, and the URLs of this database and of another on the same server (dropped when
 * the scope closes).
 */
const databases = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`truncate journal`
  const [row] = yield* sql<{ name: string }>`select current_database() as name`
  const other = yield* Effect.acquireRelease(
    Effect.promise(() => createTestDatabase()),
    (db) => Effect.promise(() => db.drop())
  )
  const url = new URL(other.url)
  url.pathname = `/${row!.name}`
  return { own: url.toString(), other: other.url }
})

/** Appends a journal row whose cause is `cause` (SQL text, to run on any connection). */
const append = (cause: string) =>
  `insert into journal (actor_key, cause, ordinal, type, event) values ('dialog:1', '${cause}', 0, 'note', '{}'::jsonb)`

/** The causes of the journal rows below `horizon`, in commit order. */
const readable = (horizon: "commit_horizon()" | "pg_snapshot_xmin(pg_current_snapshot())") =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ cause: string }>`
      select cause from journal where txid < (select ${sql.literal(horizon)}) order by txid, seq`.pipe(
      Effect.map((rows) => rows.map((row) => row.cause))
    )
  )

layer(Database, { timeout: 60_000 })("commit_horizon()", (it) => {
  it.scoped("is not held back by a transaction running in another database of the server", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const { other } = yield* databases
      yield* openTransaction(other)
      yield* sql.unsafe(append("after"))
      expect(yield* readable("commit_horizon()")).toEqual(["after"])
      // The server-wide horizon would wait for the other database's transaction to end.
      expect(yield* readable("pg_snapshot_xmin(pg_current_snapshot())")).toEqual([])
    })
  )

  it.scoped("hides the rows of a transaction running here, and those after it, until it commits", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const { own } = yield* databases
      const early = yield* openTransaction(own)
      yield* Effect.promise(() => early.client.query(append("early")))
      yield* sql.unsafe(append("late"))
      expect(yield* readable("commit_horizon()")).toEqual([])
      yield* Effect.promise(() => early.client.query("commit"))
      expect(yield* readable("commit_horizon()")).toEqual(["early", "late"])
    })
  )
})
