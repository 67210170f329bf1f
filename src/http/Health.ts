import { HttpServerResponse } from "@effect/platform"
import { SqlClient } from "@effect/sql"
import { Effect, Ref } from "effect"
import { MigrationState } from "../sql/Migrations.ts"
import { AppRouter } from "./Http.ts"

const database = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  return yield* sql`select 1`.pipe(
    Effect.timeout("2 seconds"),
    Effect.as("ok"),
    Effect.catchAll((error) => Effect.succeed(`unreachable: ${error.message}`))
  )
})

/**
 * `GET /healthz`: the process is up. `GET /readyz`: the database answers and this process has
 * applied the migrations; 503 with what is missing otherwise.
 */
export const HealthRoutes = AppRouter.use((router) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const migrations = yield* MigrationState
    yield* router.get("/healthz", HttpServerResponse.json({ status: "ok" }))
    yield* router.get(
      "/readyz",
      Effect.gen(function* () {
        const db = yield* Effect.provideService(database, SqlClient.SqlClient, sql)
        const migrated = yield* Ref.get(migrations.done)
        const ready = db === "ok" && migrated
        return yield* HttpServerResponse.json(
          { status: ready ? "ready" : "not ready", database: db, migrations: migrated ? "done" : "pending" },
          { status: ready ? 200 : 503 }
        )
      })
    )
  })
)
