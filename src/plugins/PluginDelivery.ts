import { Clock, Effect, Metric, Queue } from "effect"
import { taggedIncrements } from "../http/TaggedCounter.ts"
import { PluginDispatch } from "./PluginDispatch.ts"
import { PluginEffects } from "./PluginEffects.ts"
import { backoffAfter, PluginHostConfig } from "./PluginHostConfig.ts"
import { PluginJournal, type JournalRow } from "./PluginJournal.ts"
import type { LoadedPlugin } from "./PluginRegistry.ts"
import { PluginRetries, type Parked } from "./PluginRetries.ts"

/** Deliveries to plugins by `plugin` and `result` (handled, retried, dead), for `/metrics`. */
export const pluginDeliveriesTotal = Metric.counter("backline_plugin_deliveries_total", {
  description: "Journal rows delivered to plugins, by plugin and result",
  incremental: true
})

const counted: (plugin: string, result: "handled" | "retried" | "dead") => Effect.Effect<void> =
  taggedIncrements(pluginDeliveriesTotal, "plugin", "result")

/**
 * How a delivery from the journal ended: handled, not for the plugin (skipped), parked behind the
 * actor's earlier rows (held), or failed (parked for a retry, or dead after the last attempt).
 */
export type Settled =
  | { readonly _tag: "Handled" | "Skipped" | "Held" }
  | { readonly _tag: "Failed"; readonly reason: string; readonly dead: boolean }

/** Whether the actor's next rows must wait behind this one. */
export const holdsActor = (settled: Settled) =>
  settled._tag === "Held" || (settled._tag === "Failed" && !settled.dead)

/**
 * Delivering a row to a plugin and settling the outcome in one transaction with what the
 * handler decided: from the journal (the actor's progress recorded) or from the retry list.
 */
export class PluginDelivery extends Effect.Service<PluginDelivery>()("app/PluginDelivery", {
  effect: Effect.gen(function* () {
    const dispatch = yield* PluginDispatch
    const effects = yield* PluginEffects
    const journal = yield* PluginJournal
    const retries = yield* PluginRetries
    const config = yield* PluginHostConfig
    const at = (ms: number) => Effect.map(Clock.currentTimeMillis, (now) => new Date(now + ms))

    /**
     * Delivers a row read from the journal. When `held` (the actor has rows waiting for a retry),
     * it is parked behind them instead; after a failure it is parked for a retry, or dead.
     */
    const fromJournal = (loaded: LoadedPlugin, row: JournalRow, held: boolean, retry: Queue.Queue<void>) =>
      Effect.gen(function* () {
        const id = loaded.plugin.id
        const progressed = journal.progressed(id, row.actorKey, row)
        if (held) {
          const park = retries.park(id, row, 0, null, new Date(0), false)
          yield* effects.commit(id, [], Effect.zipRight(park, progressed))
          return { _tag: "Held" } as const satisfies Settled
        }
        const outcome = yield* dispatch.attempt(loaded, row)
        if (outcome._tag === "Skipped") return outcome
        if (outcome._tag === "Handled") {
          yield* effects.commit(id, outcome.intents, progressed)
          yield* counted(id, "handled")
          return { _tag: "Handled" } as const satisfies Settled
        }
        const dead = config.maxAttempts <= 1
        yield* counted(id, dead ? "dead" : "retried")
        yield* Effect.logWarning(
          `plugin ${id}: ${row.type} failed (attempt 1 of ${config.maxAttempts})` +
            `${dead ? ", dead-lettered" : ""}: ${outcome.reason}`
        )
        const next = yield* at(backoffAfter(config, 1))
        const park = retries.park(id, row, 1, outcome.reason, next, dead)
        yield* effects.commit(id, [], Effect.zipRight(park, progressed))
        yield* Queue.offer(retry, undefined)
        return { _tag: "Failed", reason: outcome.reason, dead } as const satisfies Settled
      })

    /** Delivers a parked row again; after `maxAttempts` failed attempts it is dead. */
    const fromRetries = (loaded: LoadedPlugin, parked: Parked) =>
      Effect.gen(function* () {
        const id = loaded.plugin.id
        const row = yield* journal.row(parked.seq)
        const outcome =
          row === undefined
            ? ({ _tag: "Failed", reason: "the journal row is gone" } as const)
            : yield* dispatch.attempt(loaded, row)
        if (outcome._tag === "Skipped") return yield* effects.commit(id, [], retries.delivered(parked.id))
        if (outcome._tag === "Handled") {
          yield* effects.commit(id, outcome.intents, retries.delivered(parked.id))
          return yield* counted(id, "handled")
        }
        const attempts = parked.attempts + 1
        const dead = attempts >= config.maxAttempts || row === undefined
        yield* counted(id, dead ? "dead" : "retried")
        yield* Effect.logWarning(
          `plugin ${id}: ${row?.type ?? "a row"} failed (attempt ${attempts} of ${config.maxAttempts})` +
            `${dead ? ", dead-lettered" : ""}: ${outcome.reason}`
        )
        yield* retries.failed(
          parked.id,
          attempts,
          outcome.reason,
          yield* at(backoffAfter(config, attempts)),
          dead
        )
      }).pipe(Effect.annotateLogs({ plugin: loaded.plugin.id, actor: parked.actorKey }))

    return { fromJournal, fromRetries } as const
  }),
  dependencies: [PluginDispatch.Default, PluginEffects.Default, PluginJournal.Default, PluginRetries.Default]
}) {}
