import { Effect, Either, Queue, Schedule, Scope, Stream } from "effect"
import { journalChannel } from "../actors/Timers.ts"
import { Notifications } from "../sql/Notifications.ts"
import { decodeConfig } from "./PluginConfig.ts"
import { PluginCommands } from "./PluginCommands.ts"
import { PluginConsumer } from "./PluginConsumer.ts"
import type { PluginContext } from "./PluginContext.ts"
import { PluginContexts } from "./PluginContexts.ts"
import { PluginHostConfig } from "./PluginHostConfig.ts"
import { PluginJournal } from "./PluginJournal.ts"
import { PluginRegistry, type LoadedPlugin } from "./PluginRegistry.ts"

/**
 * Runs the plugins: each reads the journal with its own durable cursor (see PluginConsumer) and
 * retries its failed deliveries, its `start` work runs for the life of the host, and the plugins'
 * commands are registered in Telegram's command menus. A plugin's failures stay its own: one
 * plugin cannot stop another, an actor or the relay.
 */
export class PluginHost extends Effect.Service<PluginHost>()("app/PluginHost", {
  scoped: Effect.gen(function* () {
    const registry = yield* PluginRegistry
    const consumer = yield* PluginConsumer
    const contexts = yield* PluginContexts
    const commands = yield* PluginCommands
    const config = yield* PluginHostConfig
    const notifications = yield* Notifications
    const journal = yield* PluginJournal
    const scope = yield* Effect.scope
    // Each plugin's cursor exists before the host is ready: a plugin seen for the first time
    // receives what happens from then on.
    yield* Effect.forEach(registry.plugins, (loaded) => journal.open(loaded.plugin.id), { discard: true })

    const running = yield* Effect.forEach(registry.plugins, (loaded) =>
      Effect.map(Effect.all([Queue.sliding<void>(1), Queue.sliding<void>(1)]), ([wake, retry]) => ({
        loaded,
        wake,
        retry
      }))
    )
    const wakeAll = Effect.forEach(running, ({ wake }) => Queue.offer(wake, undefined), { discard: true })

    yield* notifications.listen(journalChannel).pipe(
      Stream.runForEach(() => wakeAll),
      Effect.retry(Schedule.spaced(config.pollInterval)),
      Effect.forkScoped
    )
    yield* wakeAll.pipe(Effect.repeat(Schedule.spaced(config.pollInterval)), Effect.forkScoped)

    for (const { loaded, wake, retry } of running) {
      // A failure (the database gone, say) restarts the reading from the durable cursor.
      yield* consumer.consume(loaded, wake, retry).pipe(
        Effect.catchAllCause((cause) =>
          Effect.logError(`plugin ${loaded.plugin.id}: reading the journal failed; starting again`, cause)
        ),
        Effect.zipRight(Effect.sleep(config.pollInterval)),
        Effect.forever,
        Effect.forkScoped
      )
      yield* consumer.retryParked(loaded, retry).pipe(Effect.forkScoped)
      if (loaded.plugin.start !== undefined) yield* startOf(loaded, contexts, scope)
    }
    yield* Effect.forkScoped(commands.registerAll)

    /** Reads the journal now (the notification and the poll do this on their own). */
    const poke = wakeAll
    return { plugins: registry.plugins.map((loaded) => loaded.plugin.id), poke } as const
  }),
  dependencies: [
    PluginConsumer.Default,
    PluginContexts.Default,
    PluginCommands.Default,
    PluginJournal.Default,
    Notifications.Default
  ]
}) {}

/** Forks a plugin's `start` in the host's scope, with a context acting at once; a failure is logged. */
const startOf = (loaded: LoadedPlugin, contexts: PluginContexts, scope: Scope.Scope) => {
  const id = loaded.plugin.id
  const config = Either.getOrUndefined(decodeConfig(loaded.plugin, loaded.defaults))
  const ctx = contexts.make(
    loaded,
    config,
    { event: undefined, place: undefined, connection: undefined, cause: `plugin:${id}/start` },
    undefined
  )
  const start = loaded.plugin.start as (
    ctx: PluginContext<unknown>
  ) => Effect.Effect<unknown, unknown, Scope.Scope>
  return Effect.suspend(() => start(ctx)).pipe(
    Effect.catchAllCause((cause) => Effect.logError(`plugin ${id}: start failed`, cause)),
    Effect.annotateLogs({ plugin: id }),
    Effect.withSpan("PluginHost.start", { attributes: { plugin: id } }),
    Scope.extend(scope),
    Effect.forkIn(scope)
  )
}
