import { Migrator, SqlClient } from "@effect/sql"
import { Effect, Ref } from "effect"
import m0001 from "./migrations/0001_instance.ts"
import m0002 from "./migrations/0002_runtime.ts"
import m0003 from "./migrations/0003_mail.ts"
import m0004 from "./migrations/0004_plugins.ts"
import m0005 from "./migrations/0005_dialogs.ts"
import m0006 from "./migrations/0006_dialog_settings.ts"
import m0007 from "./migrations/0007_message_sources.ts"
import m0008 from "./migrations/0008_outbox_topics.ts"
import m0009 from "./migrations/0009_plugin_search.ts"
import m0010 from "./migrations/0010_api.ts"
import m0011 from "./migrations/0011_webhooks.ts"
import m0012 from "./migrations/0012_api_uploads.ts"
import m0013 from "./migrations/0013_outbox_txid.ts"
import m0014 from "./migrations/0014_commit_horizon.ts"
import m0015 from "./migrations/0015_step_functions.ts"
import m0016 from "./migrations/0016_hot_tables.ts"
import m0017 from "./migrations/0017_connection_notices.ts"

/**
 * Every migration, in order. Add a file `migrations/NNNN_name.ts` exporting an Effect as its
 * default and list it here; applied migrations are recorded in `effect_sql_migrations`.
 */
export const migrations = Migrator.fromRecord({
  "0001_instance": m0001,
  "0002_runtime": m0002,
  "0003_mail": m0003,
  "0004_plugins": m0004,
  "0005_dialogs": m0005,
  "0006_dialog_settings": m0006,
  "0007_message_sources": m0007,
  "0008_outbox_topics": m0008,
  "0009_plugin_search": m0009,
  "0010_api": m0010,
  "0011_webhooks": m0011,
  "0012_api_uploads": m0012,
  "0013_outbox_txid": m0013,
  "0014_commit_horizon": m0014,
  "0015_step_functions": m0015,
  "0016_hot_tables": m0016,
  "0017_connection_notices": m0017
})

const migrate = Migrator.make({})

/** Whether this process has brought the schema up to date; `/readyz` reads it. */
export class MigrationState extends Effect.Service<MigrationState>()("app/MigrationState", {
  effect: Ref.make(false).pipe(Effect.map((done) => ({ done })))
}) {}

// Any fixed number, the same in every Backline: processes migrating one database take turns.
const migrationLock = 4_242_001

/** Holds a session advisory lock on a reserved connection for the life of the scope. */
const takeTurn = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const connection = yield* sql.reserve
  yield* Effect.acquireRelease(connection.executeRaw("select pg_advisory_lock($1)", [migrationLock]), () =>
    Effect.ignore(connection.executeRaw("select pg_advisory_unlock($1)", [migrationLock]))
  )
})

/**
 * Applies the migrations not applied yet and answers those it applied (none on a second run).
 * Processes starting together on one database take turns on an advisory lock, so even the very
 * first run (which creates the migrations table) applies each migration once.
 */
export const runMigrations = Effect.fn("Migrations.run")(function* () {
  const applied = yield* Effect.scoped(Effect.zipRight(takeTurn, migrate({ loader: migrations })))
  const state = yield* MigrationState
  yield* Ref.set(state.done, true)
  return applied.map(([id, name]) => `${String(id).padStart(4, "0")}_${name}`)
})
