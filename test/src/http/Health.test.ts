import { HttpServer } from "@effect/platform"
import { layer } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { expect } from "vitest"
import { AppConfig } from "../../../src/Config.ts"
import { HealthRoutes } from "../../../src/http/Health.ts"
import { displayUrl, HttpLive } from "../../../src/http/Http.ts"
import { MigrationState, runMigrations } from "../../../src/sql/Migrations.ts"
import { TestDatabaseLive } from "../../support/Database.ts"
import { testConfig } from "../../support/Config.ts"

const config = testConfig(Option.none())

const Live = HttpLive.pipe(
  Layer.provide(HealthRoutes),
  Layer.provideMerge(
    Layer.mergeAll(TestDatabaseLive, MigrationState.Default, Layer.succeed(AppConfig, config))
  )
)

const get = (path: string) =>
  Effect.gen(function* () {
    const url = displayUrl((yield* HttpServer.HttpServer).address)
    const response = yield* Effect.promise(() => fetch(`${url}${path}`))
    return { status: response.status, body: yield* Effect.promise(() => response.json()) }
  })

layer(Live, { timeout: 60_000 })("health endpoints", (it) => {
  it.effect("/healthz answers while /readyz waits for the migrations", () =>
    Effect.gen(function* () {
      expect(yield* get("/healthz")).toEqual({ status: 200, body: { status: "ok" } })
      expect(yield* get("/readyz")).toEqual({
        status: 503,
        body: { status: "not ready", database: "ok", migrations: "pending" }
      })
      yield* runMigrations()
      expect(yield* get("/readyz")).toEqual({
        status: 200,
        body: { status: "ready", database: "ok", migrations: "done" }
      })
      expect(yield* get("/nothing-here")).toEqual({ status: 404, body: { error: "not found" } })
    })
  )
})
