import { Clock, Deferred, Duration, Effect, Exit, FiberId, FiberSet, Option, Schedule } from "effect"
import { createActor, type AnyActor, type AnyEventObject, type Snapshot } from "xstate"
import { SnapshotStore } from "./SnapshotStore.ts"
import {
  ActorFailed,
  ActorHostConfig,
  inboxRowOf,
  isOutboxSend,
  isReserved,
  mailRowOf,
  outboxEntries,
  SnapshotVersionMismatch,
  stepAnnotations,
  UnknownActorKind,
  type DeliveryFailure,
  type StepOutcome,
  type TimerCancel,
  type TimerChange,
  type TimerSet
} from "./Step.ts"
import type { MailTimer } from "./Mailbox.ts"
import { StepCommitter } from "./StepCommitter.ts"

interface Live {
  readonly actor: AnyActor
  readonly machine: string
  readonly version: number
  /** Emitted events not yet committed. */
  readonly buffer: Array<AnyEventObject>
  causes: ReadonlyArray<string>
  /** The generation of each durable timer set and not yet fired or cancelled, by name. */
  timers: Readonly<Record<string, string>>
  /** `true` while the host itself drives the actor; a change outside that is a delayed transition. */
  driving: boolean
}

type Job =
  | {
      readonly _tag: "Deliver"
      readonly event: AnyEventObject
      readonly cause: string
      /** For a due durable timer: applied only if it is still the actor's current one. */
      readonly timer: MailTimer | undefined
      readonly done: Deferred.Deferred<StepOutcome, DeliveryFailure>
    }
  | { readonly _tag: "Read"; readonly done: Deferred.Deferred<unknown, DeliveryFailure> }
  | { readonly _tag: "Flush" }

interface Entry {
  /** Jobs not yet taken, oldest first: at most `mailboxCapacity`, senders wait beyond. */
  readonly jobs: Array<Job>
  /** Senders waiting for room in `jobs`. */
  readonly waiting: Array<Deferred.Deferred<void>>
  /** Jobs offered and not yet finished: an entry with any is never passivated. */
  pending: number
  /** Whether a fiber is taking the jobs; it ends once they are all done. */
  running: boolean
  /** When the entry last went idle, for passivation. */
  idleSince: number
  live: Live | undefined
}

/**
 * Owns every XState actor: one mailbox per key (sequential per key, concurrent across keys),
 * restored from `actor_snapshot`, passivated when idle. Each delivered event is one step whose
 * snapshot, journal rows, outbox rows and inbox row are committed together (see StepCommitter).
 */
export class ActorHost extends Effect.Service<ActorHost>()("app/ActorHost", {
  scoped: Effect.gen(function* () {
    const config = yield* ActorHostConfig
    const store = yield* SnapshotStore
    const committer = yield* StepCommitter
    const entries = new Map<string, Entry>()
    let timerSteps = 0 // numbers the causes of delayed transitions, unique within this host
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        for (const entry of entries.values()) entry.live?.actor.stop()
        entries.clear()
      })
    )
    // Made after that finalizer, so the workers are interrupted before the actors are stopped.
    const runFork = yield* FiberSet.makeRuntime<never, void, never>()

    const restore = Effect.fn("ActorHost.spawn")(function* (key: string, entry: Entry) {
      const colon = key.indexOf(":")
      const kind = colon > 0 ? config.registry[key.slice(0, colon)] : undefined
      if (kind === undefined) return yield* Effect.fail(new UnknownActorKind({ key }))
      const expected = { machine: kind.machine.id, version: kind.version }
      const row = yield* store.load(key)
      let state: unknown = undefined
      if (Option.isSome(row)) {
        const found = { machine: row.value.machine, version: row.value.version }
        const same = found.machine === expected.machine && found.version === expected.version
        if (same) state = row.value.snapshot.state
        else if (found.machine === expected.machine)
          state = kind.migrate?.(row.value.snapshot.state, found.version)
        if (state === undefined)
          return yield* Effect.fail(new SnapshotVersionMismatch({ key, found, expected }))
      }
      const live: Live = {
        actor: createActor(kind.machine, {
          id: key,
          input: { key },
          ...(state === undefined ? {} : { snapshot: state as Snapshot<unknown> })
        }),
        ...expected,
        buffer: [],
        causes: Option.match(row, { onNone: () => [], onSome: (found) => found.snapshot.causes }),
        timers: Option.match(row, { onNone: () => ({}), onSome: (found) => found.snapshot.timers ?? {} }),
        driving: true
      }
      live.actor.on("*", (event: AnyEventObject) => live.buffer.push(event))
      live.actor.subscribe({
        next: () => {
          if (!live.driving) {
            entry.jobs.push({ _tag: "Flush" })
            kick(key, entry)
          }
        },
        error: () => {} // read from the snapshot's status by the step
      })
      live.actor.start()
      live.driving = false
      return live
    })

    const commit = (key: string, live: Live, cause: string) =>
      Effect.gen(function* () {
        const snapshot = live.actor.getSnapshot() as Snapshot<unknown> & { value?: unknown }
        if (snapshot.status === "error")
          return yield* Effect.fail(new ActorFailed({ key, cause, reason: String(snapshot.error) }))
        const emitted = live.buffer.splice(0)
        const causes = [...live.causes, cause].slice(-config.recentCauses)
        const changes: Array<TimerChange> = []
        const timers = { ...live.timers }
        for (const event of emitted) {
          if (event.type === "timer.set") {
            const set = event as TimerSet
            const generation = `${cause}/${set.name}`
            changes.push({ _tag: "Set", set, generation })
            timers[set.name] = generation
          } else if (event.type === "timer.cancel") {
            const name = (event as TimerCancel).name
            changes.push({ _tag: "Cancel", name })
            delete timers[name]
          }
        }
        yield* committer.commit({
          key,
          cause,
          machine: live.machine,
          version: live.version,
          snapshot: { state: live.actor.getPersistedSnapshot(), causes, timers },
          journal: emitted.filter((event) => !isReserved(event)),
          outbox: outboxEntries(key, cause, emitted.filter(isOutboxSend)),
          timers: changes,
          claims: emitted.flatMap((event) =>
            event.type === "topic.claim"
              ? [{ chatId: Number(event["chatId"]), threadId: Number(event["threadId"]) }]
              : []
          ),
          inbox: inboxRowOf(cause),
          mail: mailRowOf(cause)
        })
        live.causes = causes
        live.timers = timers
        return { key, cause, replayed: false, value: snapshot.value, emitted } satisfies StepOutcome
      })

    const step = (
      key: string,
      entry: Entry,
      event: AnyEventObject,
      cause: string,
      timer: MailTimer | undefined
    ) =>
      Effect.gen(function* () {
        const live = entry.live ?? (yield* restore(key, entry))
        entry.live = live
        if (live.causes.includes(cause)) {
          const value = (live.actor.getSnapshot() as { value?: unknown }).value
          return { key, cause, replayed: true, value, emitted: [] } satisfies StepOutcome
        }
        // A due timer the actor has since set again or cancelled is spent without reaching the machine.
        const current = timer === undefined || live.timers[timer.name] === timer.generation
        if (timer !== undefined && current) {
          const { [timer.name]: _, ...rest } = live.timers
          live.timers = rest
        }
        if (current) {
          live.driving = true
          try {
            live.actor.send(event)
          } finally {
            live.driving = false
          }
        }
        const outcome = yield* commit(key, live, cause)
        yield* Effect.logDebug(
          `step ${event.type}${current ? "" : " (timer since replaced, not applied)"}: ${outcome.emitted.length} emitted`
        )
        return outcome
      }).pipe(Effect.annotateLogs(stepAnnotations(key, cause)))

    // A step that did not commit leaves the actor ahead of its snapshot: drop it, restore next time.
    const settle = <A>(entry: Entry, exit: Exit.Exit<A, unknown>) =>
      Effect.sync(() => {
        if (Exit.isFailure(exit)) {
          entry.live?.actor.stop()
          entry.live = undefined
        }
      })

    const hasTimers = (live: Live | undefined) =>
      live !== undefined && Object.keys(live.actor.system.getSnapshot()._scheduledEvents).length > 0

    /** Takes the entry's jobs one at a time until there are none left. */
    const work = (key: string, entry: Entry): Effect.Effect<void> =>
      Effect.gen(function* () {
        for (;;) {
          const next = entry.jobs.shift()
          if (next === undefined) {
            entry.running = false
            entry.idleSince = yield* Clock.currentTimeMillis
            return
          }
          const room = entry.waiting.shift()
          if (room !== undefined) Deferred.unsafeDone(room, Exit.void)
          if (next._tag === "Flush") {
            const live = entry.live
            if (live === undefined) continue
            const cause = `after:${Date.now()}:${++timerSteps}`
            const exit = yield* Effect.exit(
              commit(key, live, cause).pipe(Effect.annotateLogs(stepAnnotations(key, cause)))
            )
            yield* settle(entry, exit)
            continue
          }
          const exit =
            next._tag === "Deliver"
              ? yield* Effect.exit(step(key, entry, next.event, next.cause, next.timer))
              : yield* Effect.exit(
                  Effect.map(
                    entry.live === undefined ? restore(key, entry) : Effect.succeed(entry.live),
                    (live) => ((entry.live = live), live.actor.getSnapshot() as unknown)
                  )
                )
          yield* settle(entry, exit)
          entry.pending -= 1
          yield* Deferred.done(next.done as Deferred.Deferred<unknown, DeliveryFailure>, exit)
        }
      })

    function kick(key: string, entry: Entry) {
      if (entry.running) return
      entry.running = true
      runFork(work(key, entry))
    }

    // Idle actors are passivated by a sweep rather than by a timer per actor.
    const passivateAfter = Duration.toMillis(config.passivateAfter)
    yield* Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      for (const [key, entry] of entries) {
        if (entry.running || entry.pending > 0 || now - entry.idleSince < passivateAfter) continue
        if (hasTimers(entry.live)) continue
        entries.delete(key)
        entry.live?.actor.stop()
      }
    }).pipe(
      Effect.repeat(Schedule.spaced(Duration.millis(Math.min(30_000, Math.max(10, passivateAfter / 2))))),
      Effect.forkScoped
    )

    const enqueue = (key: string, job: Exclude<Job, { _tag: "Flush" }>): Effect.Effect<void> =>
      Effect.suspend(() => {
        let entry = entries.get(key)
        if (entry === undefined) {
          entry = { jobs: [], waiting: [], pending: 0, running: false, idleSince: 0, live: undefined }
          entries.set(key, entry)
        }
        const found = entry
        found.pending += 1 // synchronously after the lookup: the sweep cannot passivate in between
        const add = Effect.sync(() => {
          found.jobs.push(job)
          kick(key, found)
        })
        if (found.jobs.length < config.mailboxCapacity) return add
        const room = Deferred.unsafeMake<void>(FiberId.none)
        found.waiting.push(room)
        return Effect.zipRight(
          Deferred.await(room).pipe(
            // A sender that gives up waiting sends nothing: it no longer counts, nor takes a wake-up.
            Effect.onInterrupt(() =>
              Effect.sync(() => {
                found.pending -= 1
                const at = found.waiting.indexOf(room)
                if (at >= 0) found.waiting.splice(at, 1)
              })
            )
          ),
          add
        )
      })

    /**
     * Processes `event` in the actor `key` (restoring or spawning it) and commits the step. `cause`
     * identifies the step: the same cause for the same key again is a no-op (`replayed`); an
     * `inbox:<connection>/<update_id>` cause marks that inbox row done with the step, a `mail:<id>`
     * cause that mail row. `timer` is the due durable timer the event comes from, if it does.
     */
    const deliver = (key: string, event: AnyEventObject, cause: string, timer?: MailTimer) =>
      Effect.suspend(() => {
        const done = Deferred.unsafeMake<StepOutcome, DeliveryFailure>(FiberId.none)
        return Effect.zipRight(
          enqueue(key, { _tag: "Deliver", event, cause, timer, done }),
          Deferred.await(done)
        )
      })

    /** The actor's current snapshot (restoring it if passivated), in mailbox order. */
    const snapshotOf = Effect.fn("ActorHost.snapshotOf")(function* (key: string) {
      const done = yield* Deferred.make<unknown, DeliveryFailure>()
      yield* enqueue(key, { _tag: "Read", done })
      return yield* Deferred.await(done)
    })

    /** How many actors are in memory (not passivated). */
    const liveCount = Effect.sync(
      () => [...entries.values()].filter((entry) => entry.live !== undefined).length
    )

    /** The keys of the actors in memory (not passivated), for `/metrics`. */
    const liveKeys = Effect.sync(() =>
      [...entries.entries()].flatMap(([key, entry]) => (entry.live === undefined ? [] : [key]))
    )

    return { deliver, snapshotOf, liveCount, liveKeys } as const
  }),
  dependencies: [SnapshotStore.Default, StepCommitter.Default]
}) {}
