import * as path from "node:path"
import { Command } from "@effect/cli"
import { FetchHttpClient, HttpServer } from "@effect/platform"
import { Effect, Layer, Option, Redacted, type Scope } from "effect"
import { ActorHost } from "../actors/ActorHost.ts"
import { RouterLive } from "../actors/Router.ts"
import { TimerScheduler } from "../actors/TimerScheduler.ts"
import { Timers } from "../actors/Timers.ts"
import { Notifications } from "../sql/Notifications.ts"
import { BotApi } from "../telegram/BotApi.ts"
import { Outbox } from "../telegram/Outbox.ts"
import { RateLimiter, RateLimiterConfig, telegramLimits, type RateLimits } from "../telegram/RateLimiter.ts"
import { AppConfig, type TelegramRateLimits } from "../Config.ts"
import { makeInboxCommands } from "../inbox/InboxCommands.ts"
import { WebhooksLive, withWebhookPlugins } from "../webhooks/WebhookPlugins.ts"
import { makeWorkspacePlugins } from "../workspace/Workspace.ts"
import { InboxSettings } from "../inbox/InboxSettings.ts"
import { withAdminCommands } from "../plugins/AdminCommands.ts"
import { loadManifest } from "../plugins/Manifest.ts"
import { PluginCommands } from "../plugins/PluginCommands.ts"
import { PluginConsumer } from "../plugins/PluginConsumer.ts"
import { PluginContexts } from "../plugins/PluginContexts.ts"
import { PluginHost } from "../plugins/PluginHost.ts"
import { PluginJournal } from "../plugins/PluginJournal.ts"
import { loadPlugins } from "../plugins/PluginLoader.ts"
import type { LoadedPlugin } from "../plugins/PluginRegistry.ts"
import { demoWorld } from "../sandbox/Demo.ts"
import { ensurePlaygroundBuilt } from "../playground/Assets.ts"
import { Playground, PlaygroundRoutes } from "../playground/Playground.ts"
import { HealthRoutes } from "../http/Health.ts"
import { displayUrl, HttpLive } from "../http/Http.ts"
import { MetricsRoutes } from "../http/Metrics.ts"
import { ApiRoutes } from "../api/ApiRoutes.ts"
import { makeTokenCommand, TokenCommandLive } from "../api/TokenCommand.ts"
import { recordStart } from "../sql/Instance.ts"
import { runMigrations } from "../sql/Migrations.ts"
import { Connections } from "../telegram/Connections.ts"
import { Gateway } from "../telegram/Gateway.ts"
import { InboxFeed } from "../telegram/InboxFeed.ts"
import { OutboxFeed } from "../telegram/OutboxFeed.ts"
import { Sender } from "../telegram/Sender.ts"
import { WebhookRoutes } from "../telegram/Webhook.ts"
import { DatabaseLive } from "./AppLayers.ts"
import { acquireSandbox, describeDemo } from "./Sandbox.ts"

// One ActorHost for the whole process: the Router delivers to it and /metrics counts its actors.
const StartLive = Layer.mergeAll(
  HttpLive.pipe(
    Layer.provide(HealthRoutes),
    Layer.provide(WebhookRoutes),
    Layer.provide(MetricsRoutes),
    Layer.provide(ApiRoutes),
    Layer.provide(PlaygroundRoutes)
  ),
  Gateway.Default,
  Connections.Default
).pipe(
  Layer.provideMerge(ActorHost.Default),
  // One feed of each for the process: every Inbox (polling, webhooks) hands its new rows to the
  // Router, the ActorHost's commits hand their outbox rows to the Sender.
  Layer.provideMerge(Layer.mergeAll(InboxFeed.Default, OutboxFeed.Default)),
  Layer.provideMerge(DatabaseLive),
  Layer.provideMerge(Playground.Default)
)

/** The RateLimiter's limits for a `TELEGRAM_RATE_LIMITS` setting. */
export const rateLimitsFor = (setting: TelegramRateLimits): RateLimits =>
  setting === "telegram"
    ? telegramLimits
    : setting === "off"
      ? { ...telegramLimits, enabled: false }
      : { ...telegramLimits, timeScale: setting.timeScale }

const RateLimiterLive = Layer.unwrapEffect(
  Effect.map(AppConfig, (config) =>
    RateLimiter.Default.pipe(
      Layer.provide(Layer.succeed(RateLimiterConfig, rateLimitsFor(config.telegramRateLimits)))
    )
  )
)

/**
 * The inbox → actors and outbox → Telegram loops. They read their tables from the start, so they
 * are built in `serve`'s scope once the migrations are applied; closing that scope stops them
 * first, before the Gateway, the sandbox, the ActorHost and the database go.
 */
const RuntimeLive = Layer.mergeAll(
  RouterLive,
  Sender.DefaultWithoutDependencies.pipe(
    Layer.provide(Layer.mergeAll(Outbox.Default, BotApi.Default, RateLimiterLive, Connections.Default))
  ),
  TimerScheduler.DefaultWithoutDependencies.pipe(Layer.provide(Timers.Default))
)

/** The plugins and the admin commands over them, reading the journal; built after the runtime, so they stop first. */
const PluginsLive = (plugins: ReadonlyArray<LoadedPlugin>) =>
  PluginHost.DefaultWithoutDependencies.pipe(
    Layer.provide(
      Layer.mergeAll(
        PluginConsumer.Default,
        PluginContexts.Default,
        PluginCommands.Default,
        PluginJournal.Default
      )
    ),
    Layer.provide(
      Layer.unwrapEffect(
        Effect.flatMap(
          Effect.all([makeInboxCommands, makeWorkspacePlugins(plugins), makeTokenCommand]),
          ([inbox, workspace, tokenCommand]) =>
            Effect.map(
              withWebhookPlugins([
                ...plugins,
                { plugin: inbox, defaults: {}, enabled: true, system: true },
                { plugin: tokenCommand, defaults: {}, enabled: true, system: true },
                ...workspace
              ]),
              withAdminCommands
            )
        )
      ).pipe(Layer.provide(InboxSettings.Default), Layer.provide(TokenCommandLive))
    ),
    Layer.provide(FetchHttpClient.layer)
  )

const serve = Effect.fn("Start.serve")(function* (plugins: ReadonlyArray<LoadedPlugin>) {
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
  yield* Effect.logInfo(
    `plugins: ${plugins.length} loaded from ${path.relative(process.cwd(), config.pluginsFile)}` +
      (plugins.length === 0 ? "" : ` (${plugins.map((loaded) => loaded.plugin.id).join(", ")})`)
  )
  // Telegram's updates are let in last, once the runtime, the plugins and the webhooks read the
  // journal: a plugin seen for the first time reads from the journal's present, and would miss
  // what the first updates (a connection coming online, say) made before it started.
  let receive: Effect.Effect<unknown, unknown, Gateway | Scope.Scope>
  if (Option.isNone(config.botToken)) {
    // No bot of one's own: the built-in Telegram sandbox, with a demo workspace to try things in.
    const sandbox = yield* acquireSandbox({ host: config.httpHost, port: 0 })
    yield* Effect.logInfo(
      `telegram: BOT_TOKEN is not set, so Backline runs on the built-in Telegram sandbox, Bot API root ${sandbox.apiRoot}`
    )
    const demo = demoWorld(sandbox.world)
    for (const line of describeDemo(demo)) yield* Effect.logInfo(line)
    // The demo bot is the connection, so the sandbox's updates flow through the real Gateway.
    const bot = yield* (yield* Connections).add(
      Redacted.make(demo.bot.token),
      sandbox.apiRoot,
      Option.some(demo.group.id)
    )
    receive = Effect.flatMap(Gateway, (gateway) => gateway.serve([bot]))
    // The browser playground shows this world; its page is built by `npm install`, or here if missing.
    const page = yield* Effect.promise(() => ensurePlaygroundBuilt())
    if (page === "built") yield* Effect.logInfo("playground: page built into dist/playground")
    yield* (yield* Playground).attach({ sandbox: sandbox.world, demo })
  } else {
    yield* Effect.logInfo(`telegram: bot token set, Bot API at ${config.telegramApiRoot}`)
    receive = Effect.flatMap(Gateway, (gateway) => gateway.start)
  }
  const limits = config.telegramRateLimits
  if (limits !== "telegram")
    yield* Effect.logInfo(
      limits === "off"
        ? "telegram: TELEGRAM_RATE_LIMITS=off, so Backline keeps no rate limits of its own"
        : `telegram: rate limits run at time scale ${limits.timeScale} (TELEGRAM_RATE_LIMITS)`
    )
  // Built last, so it is released first: the Sender's calls in flight finish while the sandbox is still up.
  // One LISTEN connection for the process, shared by the runtime and the plugins.
  const notifications = Layer.succeedContext(yield* Layer.build(Notifications.Default))
  yield* Layer.build(RuntimeLive.pipe(Layer.provide(notifications)))
  yield* Effect.logInfo(
    "runtime: router (inbox and mail → actors), timers and sender (outbox → Telegram) running"
  )
  // Built together, so the plugins and the webhooks share one PluginJournal, whose window of the
  // newest journal rows serves all their readers with one read of the table.
  yield* Layer.build(Layer.mergeAll(PluginsLive(plugins), WebhooksLive).pipe(Layer.provide(notifications)))
  yield* Effect.logInfo(`plugins: host running (journal → ${plugins.length} plugin(s))`)
  yield* receive
  const url = displayUrl((yield* HttpServer.HttpServer).address)
  yield* Effect.logInfo(
    `Backline is running at ${url}  (health: ${url}/healthz, ready: ${url}/readyz, metrics: ${url}/metrics)`
  )
  if (Option.isNone(config.botToken))
    yield* Effect.logInfo(`playground: open ${url}/ to be a client and the team at once`)
  yield* Effect.logInfo("press Ctrl-C to stop")
  return yield* Effect.never
}, Effect.scoped)

// plugins.json and its plugins are checked before anything starts, so a typo costs no database start-up.
const start = Effect.flatMap(AppConfig, ({ pluginsFile }) =>
  Effect.flatMap(loadManifest(pluginsFile), (manifest) => loadPlugins(manifest, { file: pluginsFile }))
).pipe(
  Effect.provide(AppConfig.Default),
  Effect.flatMap((plugins) => serve(plugins).pipe(Effect.provide(StartLive)))
)

/** `backline start`: migrate, then serve until SIGINT/SIGTERM. */
export const startCommand = Command.make("start", {}, () => start).pipe(
  Command.withDescription(
    "Run Backline: start (or connect to) PostgreSQL, apply migrations and serve HTTP until stopped with Ctrl-C."
  )
)
