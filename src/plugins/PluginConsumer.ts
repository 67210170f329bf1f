import { Clock, Duration, Effect, FiberSet, Queue } from "effect"
import { holdsActor, PluginDelivery } from "./PluginDelivery.ts"
import { pluginKey } from "./PluginEffects.ts"
import { isEmittedRow } from "./PluginEvents.ts"
import { PluginHostConfig } from "./PluginHostConfig.ts"
import { before, PluginJournal, type JournalRow, type Position } from "./PluginJournal.ts"
import type { LoadedPlugin } from "./PluginRegistry.ts"
import { PluginRetries } from "./PluginRetries.ts"

interface Entry {
  readonly position: Position
  done: boolean
}

/** Whether a row can concern the plugin at all (the dispatch decides precisely). */
const concerns = (loaded: LoadedPlugin, row: JournalRow) => {
  const { id, on, commands } = loaded.plugin
  if (row.actorKey.startsWith("plugin:"))
    return (row.actorKey === pluginKey(id) || isEmittedRow(row)) && row.type in on
  return row.type in on || (row.type === "group.commandIssued" && commands.length > 0)
}

/**
 * One plugin's reading of the journal. Rows are handed to one lane per actor (in order within the
 * lane, lanes at once); the cursor moves past a row once it and every row before it is settled.
 * A second loop delivers the rows parked for a retry.
 */
export class PluginConsumer extends Effect.Service<PluginConsumer>()("app/PluginConsumer", {
  effect: Effect.gen(function* () {
    const journal = yield* PluginJournal
    const delivery = yield* PluginDelivery
    const retries = yield* PluginRetries
    const config = yield* PluginHostConfig

    /** Reads the journal whenever `wake` is offered, until interrupted; fails if a lane fails. */
    const consume = (loaded: LoadedPlugin, wake: Queue.Queue<void>, retry: Queue.Queue<void>) =>
      Effect.gen(function* () {
        const id = loaded.plugin.id
        const { cursor, progress } = yield* journal.open(id)
        let readAt = cursor
        let target = cursor
        let saved = cursor
        const window: Array<Entry> = []
        const lanes = new Map<string, Array<{ readonly row: JournalRow; readonly entry: Entry }>>()
        const settled = yield* Queue.sliding<void>(1)
        const flush = yield* Queue.sliding<void>(1)
        const fibers = yield* FiberSet.make<void, never>()
        const permits = yield* Effect.makeSemaphore(config.concurrency)

        const slide = Effect.gen(function* () {
          while (window[0]?.done === true) target = window.shift()!.position
          yield* Queue.offer(flush, undefined)
          yield* Queue.offer(settled, undefined)
        })
        // One save at a time (the flusher's and the final one), so the cursor never moves back.
        const saving = yield* Effect.makeSemaphore(1)
        const save = saving.withPermits(1)(
          Effect.suspend(() => {
            const to = target
            return before(saved, to)
              ? Effect.zipRight(
                  journal.advance(id, to),
                  Effect.sync(() => (saved = to))
                )
              : Effect.void
          })
        )
        yield* Effect.addFinalizer(() => save)
        yield* FiberSet.run(
          fibers,
          Queue.take(flush).pipe(
            Effect.zipRight(save),
            Effect.zipRight(Effect.sleep(config.cursorSaveInterval)),
            Effect.forever
          )
        )

        const lane = (actorKey: string, queue: Array<{ readonly row: JournalRow; readonly entry: Entry }>) =>
          Effect.gen(function* () {
            let held = yield* retries.holds(id, actorKey)
            while (queue.length > 0) {
              const { row, entry } = queue[0]!
              if (held) held = yield* retries.holds(id, actorKey)
              held = holdsActor(yield* permits.withPermits(1)(delivery.fromJournal(loaded, row, held, retry)))
              queue.shift()
              entry.done = true
              yield* slide
            }
            lanes.delete(actorKey)
          })

        const read = Effect.gen(function* () {
          for (;;) {
            while (window.length >= config.maxInFlight) yield* Queue.take(settled)
            const rows = yield* journal.read(readAt, config.batch)
            for (const row of rows) {
              const seen = progress.get(row.actorKey)
              const passed = (seen !== undefined && !before(seen, row)) || !concerns(loaded, row)
              // A row the plugin passes with nothing before it unsettled moves the target at once.
              if (passed && window.length === 0) {
                target = row
                continue
              }
              const entry: Entry = { position: row, done: passed }
              window.push(entry)
              if (passed) continue
              const queue = lanes.get(row.actorKey)
              if (queue !== undefined) queue.push({ row, entry })
              else {
                const fresh = [{ row, entry }]
                lanes.set(row.actorKey, fresh)
                yield* FiberSet.run(fibers, lane(row.actorKey, fresh))
              }
            }
            const last = rows.at(-1)
            if (last !== undefined) readAt = { txid: last.txid, seq: last.seq }
            yield* slide
            if (rows.length < config.batch) return
          }
        })
        yield* FiberSet.run(
          fibers,
          Effect.forever(
            Queue.take(wake).pipe(Effect.zipRight(read), Effect.zipRight(Effect.sleep(config.readGap)))
          )
        )
        return yield* FiberSet.join(fibers)
      }).pipe(Effect.scoped, Effect.annotateLogs({ plugin: loaded.plugin.id }))

    /** Delivers the plugin's parked rows as they fall due, until interrupted. */
    const retryParked = (loaded: LoadedPlugin, retry: Queue.Queue<void>) => {
      const cap = Duration.toMillis(config.pollInterval) * 4
      const round = Effect.gen(function* () {
        const heads = yield* retries.heads(loaded.plugin.id)
        const now = yield* Clock.currentTimeMillis
        const due = heads.filter((parked) => parked.notBefore.getTime() <= now)
        if (due.length > 0)
          return yield* Effect.forEach(due, (parked) => delivery.fromRetries(loaded, parked), {
            concurrency: config.concurrency,
            discard: true
          })
        const wait = Math.min(cap, ...heads.map((parked) => parked.notBefore.getTime() - now))
        yield* Effect.raceFirst(Effect.sleep(Duration.millis(wait)), Queue.take(retry))
      }).pipe(
        Effect.catchAllCause((cause) =>
          Effect.zipRight(Effect.logError("plugin retries failed", cause), Effect.sleep(config.pollInterval))
        )
      )
      return Effect.forever(round).pipe(Effect.annotateLogs({ plugin: loaded.plugin.id }))
    }

    return { consume, retryParked } as const
  }),
  dependencies: [PluginJournal.Default, PluginDelivery.Default, PluginRetries.Default]
}) {}
