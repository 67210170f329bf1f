import { Cause, Data, Duration, Effect, Either, Exit, Predicate } from "effect"
import { connectionOfCause } from "./ChatConnections.ts"
import type { AnyPlugin } from "./definePlugin.ts"
import type { PluginContext } from "./PluginContext.ts"
import { PluginContexts, type Origin } from "./PluginContexts.ts"
import { PluginCommands } from "./PluginCommands.ts"
import { pluginKey, type Intent } from "./PluginEffects.ts"
import { isEmittedRow, placeOf, type CommandIssued, type PluginEvent } from "./PluginEvents.ts"
import { PluginHostConfig } from "./PluginHostConfig.ts"
import type { JournalRow } from "./PluginJournal.ts"
import type { LoadedPlugin } from "./PluginRegistry.ts"
import { PluginSettings } from "./PluginSettings.ts"

/** What one attempt to deliver a journal row to a plugin came to. */
export type Attempt =
  | { readonly _tag: "Skipped" }
  | { readonly _tag: "Handled"; readonly intents: ReadonlyArray<Intent> }
  | { readonly _tag: "Failed"; readonly reason: string }

/** A delivery took longer than `handlerTimeout`. */
export class HandlerTimedOut extends Data.TaggedError("HandlerTimedOut")<{
  readonly after: Duration.Duration
}> {
  override get message() {
    return `timed out after ${Duration.format(this.after)}`
  }
}

type Run = (event: PluginEvent, ctx: PluginContext<unknown>) => Effect.Effect<unknown, unknown>

/** A failure in one line, for logs and the dead-letter list. */
export const reasonOf = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.squash(cause)
  const text =
    error instanceof Error && error.message !== ""
      ? error.message
      : Predicate.hasProperty(error, "_tag")
        ? String(error._tag)
        : typeof error === "string"
          ? error
          : (JSON.stringify(error) ?? String(error))
  return text.split("\n")[0] ?? ""
}

/** The handlers of `plugin` the event calls: its `on` handler, then a matching command's `run`. */
const runsOf = (plugin: AnyPlugin, event: PluginEvent, own: boolean) => {
  const runs: Array<{ readonly run: Run; readonly command?: string; readonly adminOnly?: boolean }> = []
  const on = plugin.on[event.type] as Run | undefined
  if (on !== undefined) runs.push({ run: on })
  if (!own && event.type === "group.commandIssued") {
    const command = plugin.commands.find((candidate) => candidate.name === event.command)
    if (command !== undefined)
      runs.push({ run: command.run as Run, command: command.name, adminOnly: command.adminOnly === true })
  }
  return runs
}

/**
 * One attempt to deliver a journal row to one plugin: the row must concern it (its own timers and
 * failed calls, or an event it handles in a group or topic where it is enabled), then its handlers
 * run with the configuration in force there, under a timeout, and what they decided is answered
 * for the caller to commit. Nothing is written here.
 */
export class PluginDispatch extends Effect.Service<PluginDispatch>()("app/PluginDispatch", {
  effect: Effect.gen(function* () {
    const settings = yield* PluginSettings
    const contexts = yield* PluginContexts
    const commands = yield* PluginCommands
    const config = yield* PluginHostConfig
    const timeout = Duration.decode(config.handlerTimeout)

    const attempt = (loaded: LoadedPlugin, row: JournalRow): Effect.Effect<Attempt> =>
      Effect.gen(function* () {
        const plugin = loaded.plugin
        // Its own timers and refused calls; what plugins emit is for everyone, where enabled.
        const emitted = isEmittedRow(row)
        const own = row.actorKey === pluginKey(plugin.id) && !emitted
        if (row.actorKey.startsWith("plugin:") && !own && !emitted) return { _tag: "Skipped" } as const
        const event = { ...row.event, type: row.type } as PluginEvent
        let runs = runsOf(plugin, event, own)
        if (event.type === "group.commandIssued" && runs.some((entry) => entry.command !== undefined))
          if (!(yield* commands.isForUs(event.connection, event.addressedTo)))
            runs = runs.filter((entry) => entry.command === undefined)
        if (runs.length === 0) return { _tag: "Skipped" } as const
        const place = placeOf(event)
        const effective = yield* settings.resolve(loaded, place)
        if (!own && !effective.enabled) return { _tag: "Skipped" } as const
        if (Either.isLeft(effective.decoded))
          return { _tag: "Failed", reason: effective.decoded.left } as const
        const origin: Origin = {
          event,
          place,
          connection:
            "connection" in event
              ? event.connection
              : event.type === "delivery.failed"
                ? event.connection_id
                : connectionOfCause(row.cause),
          cause: `journal:${row.seq}`
        }
        const intents: Array<Intent> = []
        const ctx = contexts.make(loaded, effective.decoded.right, origin, intents)
        const exit = yield* Effect.forEach(
          runs,
          ({ run, command, adminOnly }) =>
            command !== undefined && adminOnly === true
              ? guarded(command, run, event, ctx)
              : Effect.suspend(() => run(event, ctx)),
          { discard: true }
        ).pipe(
          Effect.timeoutFail({ duration: timeout, onTimeout: () => new HandlerTimedOut({ after: timeout }) }),
          Effect.exit
        )
        return Exit.isSuccess(exit)
          ? ({ _tag: "Handled", intents } as const)
          : ({ _tag: "Failed", reason: reasonOf(exit.cause) } as const)
      }).pipe(
        Effect.withSpan("PluginDispatch.attempt", {
          attributes: { plugin: loaded.plugin.id, actor: row.actorKey, event: row.type, seq: row.seq }
        }),
        Effect.annotateLogs({ plugin: loaded.plugin.id, actor: row.actorKey, event: row.type })
      )

    // An admin-only command runs for the group's admins (as ChatAdmins says); anyone else is told so.
    const guarded = (name: string, run: Run, event: PluginEvent, ctx: PluginContext<unknown>) =>
      Effect.gen(function* () {
        const command = event as CommandIssued
        const admin = command.from !== null && (yield* ctx.isAdmin(command.from.id, command.chatId))
        if (admin) return yield* Effect.suspend(() => run(event, ctx))
        yield* ctx.reply(`/${name} is for the group's admins only.`)
      })

    return { attempt } as const
  }),
  dependencies: [PluginSettings.Default, PluginContexts.Default, PluginCommands.Default]
}) {}
