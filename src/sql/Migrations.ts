import { Migrator } from "@effect/sql"
import { Effect, Ref } from "effect"
import m0001 from "./migrations/0001_instance.ts"

/**
 * Every migration, in order. Add a file `migrations/NNNN_name.ts` exporting an Effect as its
 * default and list it here; applied migrations are recorded in `effect_sql_migrations`.
 */
export const migrations = Migrator.fromRecord({
  "0001_instance": m0001
})

const migrate = Migrator.make({})

/** Whether this process has brought the schema up to date; `/readyz` reads it. */
export class MigrationState extends Effect.Service<MigrationState>()("app/MigrationState", {
  effect: Ref.make(false).pipe(Effect.map((done) => ({ done })))
}) {}

/** Applies the migrations not applied yet and answers those it applied (none on a second run). */
export const runMigrations = Effect.fn("Migrations.run")(function* () {
  const applied = yield* migrate({ loader: migrations })
  const state = yield* MigrationState
  yield* Ref.set(state.done, true)
  return applied.map(([id, name]) => `${String(id).padStart(4, "0")}_${name}`)
})
