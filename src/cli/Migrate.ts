import { Command } from "@effect/cli"
import { Console, Effect } from "effect"
import { runMigrations } from "../sql/Migrations.ts"
import { DatabaseLive } from "./AppLayers.ts"

const migrate = Effect.gen(function* () {
  const applied = yield* runMigrations()
  yield* Console.log(
    applied.length === 0 ? "database is up to date" : `applied ${applied.length}: ${applied.join(", ")}`
  )
}).pipe(Effect.provide(DatabaseLive))

/** `backline migrate`: bring the database schema up to date and exit. */
export const migrateCommand = Command.make("migrate", {}, () => migrate).pipe(
  Command.withDescription("Apply the database migrations that have not been applied yet, then exit.")
)
