import { Command } from "@effect/cli"
import { HttpServer } from "@effect/platform"
import { Effect, Layer, Option } from "effect"
import { AppConfig } from "../Config.ts"
import { HealthRoutes } from "../http/Health.ts"
import { displayUrl, HttpLive } from "../http/Http.ts"
import { recordStart } from "../sql/Instance.ts"
import { runMigrations } from "../sql/Migrations.ts"
import { DatabaseLive } from "./AppLayers.ts"

const StartLive = HttpLive.pipe(Layer.provide(HealthRoutes), Layer.provideMerge(DatabaseLive))

const start = Effect.gen(function* () {
  const config = yield* AppConfig
  const applied = yield* runMigrations()
  yield* Effect.logInfo(
    applied.length === 0 ? "migrations: up to date" : `migrations: applied ${applied.join(", ")}`
  )
  const instance = yield* recordStart()
  yield* Effect.logInfo(
    instance.starts === 1
      ? "data: new installation"
      : `data: installed ${instance.installedAt.toISOString()}, start #${instance.starts}`
  )
  if (Option.isNone(config.botToken)) {
    yield* Effect.logInfo("telegram: BOT_TOKEN is not set, so no bot is connected")
  }
  const url = displayUrl((yield* HttpServer.HttpServer).address)
  yield* Effect.logInfo(`Backline is running at ${url}  (health: ${url}/healthz, ready: ${url}/readyz)`)
  yield* Effect.logInfo("press Ctrl-C to stop")
  return yield* Effect.never
}).pipe(Effect.provide(StartLive))

/** `backline start`: migrate, then serve until SIGINT/SIGTERM. */
export const startCommand = Command.make("start", {}, () => start).pipe(
  Command.withDescription(
    "Run Backline: start (or connect to) PostgreSQL, apply migrations and serve HTTP until stopped with Ctrl-C."
  )
)
