import { SqlClient } from "@effect/sql"
import { Effect, type Duration } from "effect"
import { Mailbox } from "../actors/Mailbox.ts"
import { journalChannel, Timers } from "../actors/Timers.ts"
import { Outbox, type OutboxEntry } from "../telegram/Outbox.ts"
import type { TimerEvent } from "./PluginEvents.ts"
import { PluginStore, type StoreScope } from "./PluginStore.ts"

/** Something a plugin's context decided to do; written when the handler has succeeded. */
export type Intent =
  | { readonly _tag: "Send"; readonly entry: OutboxEntry }
  | { readonly _tag: "StateSet"; readonly scope: StoreScope; readonly key: string; readonly value: unknown }
  | { readonly _tag: "StateDelete"; readonly scope: StoreScope; readonly key: string }
  | {
      readonly _tag: "TimerSet"
      readonly name: string
      readonly delay: Duration.DurationInput
      readonly event: TimerEvent
    }
  | { readonly _tag: "TimerCancel"; readonly name: string }
  | { readonly _tag: "Mail"; readonly key: string; readonly event: { readonly type: string } }
  | {
      readonly _tag: "Emit"
      readonly cause: string
      readonly ordinal: number
      readonly event: { readonly type: string }
    }

/** The key a plugin's timers, outbox rows and mail are filed under. */
export const pluginKey = (plugin: string) => `plugin:${plugin}`

/**
 * Writes what plugins decided, in order: Bot API calls to the outbox (under `plugin:<id>`, so a
 * refused call comes back to that plugin as `delivery.failed`), state, timers, actor mail, and
 * the events they emit (journal rows under `plugin:<id>`, which wake the plugins).
 */
export class PluginEffects extends Effect.Service<PluginEffects>()("app/PluginEffects", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const outbox = yield* Outbox
    const store = yield* PluginStore
    const timers = yield* Timers
    const mailbox = yield* Mailbox

    const applyOne = (plugin: string, intent: Intent): Effect.Effect<void> => {
      switch (intent._tag) {
        case "Send":
          return Effect.asVoid(outbox.enqueue([intent.entry]))
        case "StateSet":
          return store.set(plugin, intent.scope, intent.key, intent.value)
        case "StateDelete":
          return store.remove(plugin, intent.scope, intent.key)
        case "TimerSet":
          return timers.set({
            key: pluginKey(plugin),
            name: intent.name,
            delay: intent.delay,
            event: intent.event
          })
        case "TimerCancel":
          return timers.cancel(pluginKey(plugin), intent.name)
        case "Mail":
          return mailbox.send(intent.key, intent.event, pluginKey(plugin))
        case "Emit":
          return sql`
            insert into journal (actor_key, cause, ordinal, type, event)
            values (${pluginKey(plugin)}, ${intent.cause}, ${intent.ordinal}, ${intent.event.type},
              ${JSON.stringify(intent.event)}::jsonb)
            on conflict do nothing`.pipe(
            Effect.zipRight(sql`select pg_notify(${journalChannel}, ${pluginKey(plugin)})`),
            Effect.asVoid,
            Effect.orDie
          )
      }
    }

    /** Writes `intents` (in the caller's transaction, if any). */
    const apply = (plugin: string, intents: ReadonlyArray<Intent>) =>
      Effect.forEach(intents, (intent) => applyOne(plugin, intent), { discard: true })

    /** Writes `intents` and `settle` (the delivery's bookkeeping) in one transaction. */
    const commit = <E>(plugin: string, intents: ReadonlyArray<Intent>, settle: Effect.Effect<void, E>) =>
      Effect.zipRight(apply(plugin, intents), settle).pipe(
        sql.withTransaction,
        Effect.orDie,
        Effect.withSpan("PluginEffects.commit", { attributes: { plugin, intents: intents.length } })
      )

    return { apply, commit } as const
  }),
  dependencies: [Outbox.Default, PluginStore.Default, Timers.Default, Mailbox.Default]
}) {}
