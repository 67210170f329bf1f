import { Cause, Clock, Duration, Effect, Exit, FiberRef, LogLevel, Schedule } from "effect"
import type { AnyEventObject } from "xstate"
import {
  applyEvent,
  hasDelayed,
  prepareStep,
  restoreLive,
  valueOf,
  type Live,
  type Prepared
} from "./ActorStep.ts"
import type { MailTimer } from "./Mailbox.ts"
import { SnapshotStore, type SnapshotRow } from "./SnapshotStore.ts"
import { ActorHostConfig, stepAnnotations, type DeliveryFailure, type StepOutcome } from "./Step.ts"
import { StepCommitter } from "./StepCommitter.ts"

/** One event for an actor, as `deliverAll` takes it. */
export interface Delivery {
  readonly key: string
  readonly event: AnyEventObject
  /** Identifies the step: the same cause for the same key again is a no-op (`replayed`). */
  readonly cause: string
  /** For a due durable timer: applied only if it is still the actor's current one. */
  readonly timer?: MailTimer | undefined
}

type Job =
  | {
      readonly _tag: "Deliver"
      readonly delivery: Delivery
      readonly done: (exit: Exit.Exit<StepOutcome, DeliveryFailure>) => void
    }
  | { readonly _tag: "Read"; readonly done: (exit: Exit.Exit<unknown, DeliveryFailure>) => void }
  | { readonly _tag: "Flush" }

interface Entry {
  readonly key: string
  /** Jobs not yet taken, oldest first: at most `mailboxCapacity`. */
  readonly jobs: Array<Job>
  /** Jobs waiting for room in `jobs`, oldest first: their senders wait. */
  readonly overflow: Array<Job>
  /** Jobs offered and not yet finished: an entry with any is never passivated. */
  pending: number
  /** Whether the entry is queued for a round or has a step being committed. */
  busy: boolean
  /** When the entry last went idle, for passivation. */
  idleSince: number
  live: Live | undefined
}

/** A step taken in a round, waiting for its commit. */
interface Taken {
  readonly entry: Entry
  readonly prepared: Prepared
  readonly done: ((exit: Exit.Exit<StepOutcome, DeliveryFailure>) => void) | undefined
  /** What the step's debug line says it applied. */
  readonly applied: string
}

const noRows: ReadonlyMap<string, SnapshotRow> = new Map()

const isLive = (found: Live | DeliveryFailure): found is Live => "actor" in found
const isPrepared = (found: Prepared | DeliveryFailure): found is Prepared => "step" in found

/**
 * Owns every XState actor: one mailbox per key (sequential per key, concurrent across keys),
 * restored from `actor_snapshot`, passivated when idle. Each delivered event is one step whose
 * snapshot, journal rows, outbox rows and inbox row are committed together (see StepCommitter).
 *
 * Steps run in rounds: a round takes the next job of every key that has one and no step being
 * committed (up to `maxBatch` keys), loads the snapshots of the actors it restores in one
 * statement, runs the jobs synchronously and commits their steps together (group commit), with up
 * to `committers` rounds committing at once. Should a shared commit fail, its steps are committed
 * again one by one, so one bad step fails alone.
 */
export class ActorHost extends Effect.Service<ActorHost>()("app/ActorHost", {
  scoped: Effect.gen(function* () {
    const config = yield* ActorHostConfig
    const store = yield* SnapshotStore
    const committer = yield* StepCommitter
    const entries = new Map<string, Entry>()
    /** Entries with a job to run and no step being committed, in the order they became ready. */
    let ready: Array<Entry> = []
    let wakePump: (() => void) | undefined
    let timerSteps = 0 // numbers the causes of delayed transitions, unique within this host
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        for (const entry of entries.values()) entry.live?.actor.stop()
        entries.clear()
      })
    )

    const schedule = (entry: Entry) => {
      if (entry.busy || entry.jobs.length === 0) return
      entry.busy = true
      ready.push(entry)
      const wake = wakePump
      wakePump = undefined
      wake?.()
    }

    const entryOf = (key: string): Entry => {
      let entry = entries.get(key)
      if (entry === undefined) {
        entry = { key, jobs: [], overflow: [], pending: 0, busy: false, idleSince: 0, live: undefined }
        entries.set(key, entry)
      }
      return entry
    }

    /** Adds a job to the key's mailbox, or to its overflow when the mailbox is full. */
    const offer = (entry: Entry, job: Exclude<Job, { _tag: "Flush" }>) => {
      entry.pending += 1 // synchronously after the lookup: the sweep cannot passivate in between
      if (entry.overflow.length > 0 || entry.jobs.length >= config.mailboxCapacity) entry.overflow.push(job)
      else entry.jobs.push(job)
      schedule(entry)
    }

    const finished = (entry: Entry) => {
      entry.pending -= 1
    }

    /** Takes the entry's next job, letting the oldest waiting one into the mailbox. */
    const take = (entry: Entry): Job | undefined => {
      const job = entry.jobs.shift()
      const waiting = entry.overflow.shift()
      if (waiting !== undefined) entry.jobs.push(waiting)
      return job
    }

    const dropLive = (entry: Entry) => {
      entry.live?.actor.stop()
      entry.live = undefined
    }

    const restore = (entry: Entry, rows: ReadonlyMap<string, SnapshotRow>) => {
      if (entry.live !== undefined) return entry.live
      const restored = restoreLive(config, entry.key, rows.get(entry.key), () => {
        entry.jobs.push({ _tag: "Flush" })
        schedule(entry)
      })
      if (isLive(restored)) entry.live = restored
      return restored
    }

    /** Runs the entry's next job; answers the step to commit, if it made one. */
    const run = (
      entry: Entry,
      job: Job,
      rows: ReadonlyMap<string, SnapshotRow>
    ): Omit<Taken, "entry"> | undefined => {
      if (job._tag === "Flush") {
        if (entry.live === undefined) return undefined
        const prepared = prepareStep(config, entry.key, entry.live, `after:${Date.now()}:${++timerSteps}`)
        if (!isPrepared(prepared)) {
          dropLive(entry)
          return undefined
        }
        return { prepared, done: undefined, applied: "a delayed transition" }
      }
      const live = restore(entry, rows)
      if (job._tag === "Read") {
        finished(entry)
        job.done(isLive(live) ? Exit.succeed(live.actor.getSnapshot() as unknown) : Exit.fail(live))
        return undefined
      }
      const { key, event, cause, timer } = job.delivery
      if (!isLive(live)) {
        finished(entry)
        job.done(Exit.fail(live))
        return undefined
      }
      if (live.causes.includes(cause)) {
        finished(entry)
        job.done(Exit.succeed({ key, cause, replayed: true, value: valueOf(live), emitted: [] }))
        return undefined
      }
      const current = applyEvent(live, event, timer)
      const prepared = prepareStep(config, key, live, cause)
      if (!isPrepared(prepared)) {
        // The actor is ahead of its snapshot: dropped, it is restored from its last commit next time.
        dropLive(entry)
        finished(entry)
        job.done(Exit.fail(prepared))
        return undefined
      }
      return {
        prepared,
        done: job.done,
        applied: current ? event.type : `${event.type} (timer since replaced, not applied)`
      }
    }

    /** Settles a step once its commit has ended. */
    const settle = (taken: Taken, exit: Exit.Exit<void>) => {
      const { entry, prepared, done } = taken
      if (Exit.isSuccess(exit) && entry.live !== undefined) {
        entry.live.causes = prepared.causes
        entry.live.timers = prepared.timers
      } else dropLive(entry)
      if (done !== undefined) {
        finished(entry)
        done(Exit.isSuccess(exit) ? Exit.succeed(prepared.outcome) : Exit.failCause(exit.cause))
      }
    }

    /** Commits the round's steps together; should that fail, one by one. */
    const commitAll = (steps: ReadonlyArray<Taken>): Effect.Effect<void> =>
      Effect.flatMap(Effect.exit(committer.commit(steps.map((taken) => taken.prepared.step))), (exit) => {
        if (Exit.isSuccess(exit) || steps.length === 1) {
          for (const taken of steps) settle(taken, exit)
          return Exit.isSuccess(exit)
            ? Effect.void
            : Effect.logWarning("actor step not committed", exit.cause).pipe(
                Effect.annotateLogs(stepAnnotations(steps[0]!.entry.key, steps[0]!.prepared.step.cause))
              )
        }
        return Effect.forEach(steps, (taken) => commitAll([taken]), { discard: true })
      })

    const release = (round: ReadonlyArray<Entry>) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.sync(() => {
          for (const entry of round) {
            entry.busy = false
            if (entry.jobs.length === 0) entry.idleSince = now
            else schedule(entry)
          }
        })
      )

    const debugSteps = (steps: ReadonlyArray<Taken>) =>
      Effect.forEach(
        steps,
        ({ entry, prepared, applied }) =>
          Effect.logDebug(`step ${applied}: ${prepared.outcome.emitted.length} emitted`).pipe(
            Effect.annotateLogs(stepAnnotations(entry.key, prepared.step.cause))
          ),
        { discard: true }
      )

    const nextRound = Effect.async<void>((resume) => {
      if (ready.length > 0) return resume(Effect.void)
      wakePump = () => resume(Effect.void)
      return Effect.sync(() => (wakePump = undefined))
    })

    const committing = yield* Effect.makeSemaphore(Math.max(1, config.committers))

    /** One round: the next job of each ready entry, the steps they make committed together. */
    const round = Effect.gen(function* () {
      yield* nextRound
      const taken = ready.length <= config.maxBatch ? ready : ready.slice(0, config.maxBatch)
      ready = taken === ready ? [] : ready.slice(config.maxBatch)
      const restoring = taken.filter((entry) => entry.live === undefined && entry.jobs[0]?._tag !== "Flush")
      const rows = restoring.length === 0 ? noRows : yield* store.loadAll(restoring.map((entry) => entry.key))
      const steps: Array<Taken> = []
      const idle: Array<Entry> = []
      for (const entry of taken) {
        const job = take(entry)
        const made = job === undefined ? undefined : run(entry, job, rows)
        if (made === undefined) idle.push(entry)
        else steps.push({ entry, ...made })
      }
      yield* release(idle)
      if (steps.length === 0) return
      if (LogLevel.lessThanEqual(yield* FiberRef.get(FiberRef.currentMinimumLogLevel), LogLevel.Debug))
        yield* debugSteps(steps)
      yield* committing.take(1)
      yield* commitAll(steps).pipe(
        Effect.zipRight(release(steps.map((step) => step.entry))),
        Effect.ensuring(committing.release(1)),
        Effect.forkScoped
      )
    })
    yield* round.pipe(
      Effect.catchAllCause((cause) =>
        Cause.isInterruptedOnly(cause)
          ? Effect.failCause(cause)
          : Effect.logError("ActorHost: round failed", cause)
      ),
      Effect.forever,
      Effect.forkScoped
    )

    // Idle actors are passivated by a sweep rather than by a timer per actor.
    const passivateAfter = Duration.toMillis(config.passivateAfter)
    yield* Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      for (const [key, entry] of entries) {
        if (entry.busy || entry.pending > 0 || entry.jobs.length > 0) continue
        if (now - entry.idleSince < passivateAfter || hasDelayed(entry.live)) continue
        entries.delete(key)
        entry.live?.actor.stop()
      }
    }).pipe(
      Effect.repeat(Schedule.spaced(Duration.millis(Math.min(30_000, Math.max(10, passivateAfter / 2))))),
      Effect.forkScoped
    )

    /**
     * Processes each delivery in its actor (restoring or spawning it) and commits the steps,
     * answering each one's outcome, in the order given. Deliveries to one key are applied in that
     * order, after any sent to it before. `cause` identifies a step: the same cause for the same
     * key again is a no-op (`replayed`); an `inbox:<connection>/<update_id>` cause marks that inbox
     * row done with the step, a `mail:<id>` cause that mail row. Waits while a key's mailbox is
     * full; interrupted then, what still waits for room is not sent.
     */
    const deliverAll = (
      deliveries: ReadonlyArray<Delivery>
    ): Effect.Effect<ReadonlyArray<Exit.Exit<StepOutcome, DeliveryFailure>>> =>
      Effect.async((resume) => {
        const jobs = enqueueAll(deliveries, (exits) => resume(Effect.succeed(exits)))
        // Interrupted: what still waits for room is taken back; what is in a mailbox runs.
        return Effect.sync(() => {
          for (const [i, job] of jobs.entries()) {
            const entry = entries.get(deliveries[i]!.key)
            const at = entry?.overflow.indexOf(job) ?? -1
            if (entry === undefined || at < 0) continue
            entry.overflow.splice(at, 1)
            finished(entry)
          }
        })
      })

    /**
     * Like `deliverAll`, but the deliveries are in their mailboxes (or waiting for room there)
     * once this has run, in the order given: answers the wait for their outcomes, which can come
     * later, so that a caller can go on meanwhile and still keep the order of what it sends next.
     */
    const submitAll = (deliveries: ReadonlyArray<Delivery>) =>
      Effect.sync(() => {
        let outcomes: ReadonlyArray<Exit.Exit<StepOutcome, DeliveryFailure>> | undefined
        let waiting: ((exits: ReadonlyArray<Exit.Exit<StepOutcome, DeliveryFailure>>) => void) | undefined
        enqueueAll(deliveries, (exits) => {
          outcomes = exits
          waiting?.(exits)
        })
        return Effect.async<ReadonlyArray<Exit.Exit<StepOutcome, DeliveryFailure>>>((resume) => {
          if (outcomes !== undefined) return resume(Effect.succeed(outcomes))
          waiting = (exits) => resume(Effect.succeed(exits))
        })
      })

    /** Puts each delivery in its key's mailbox, in order; `done` gets their outcomes once all are in. */
    const enqueueAll = (
      deliveries: ReadonlyArray<Delivery>,
      done: (exits: ReadonlyArray<Exit.Exit<StepOutcome, DeliveryFailure>>) => void
    ): ReadonlyArray<Job> => {
      const exits = new Array<Exit.Exit<StepOutcome, DeliveryFailure>>(deliveries.length)
      let left = deliveries.length
      if (left === 0) {
        done(exits)
        return []
      }
      return deliveries.map((delivery, i) => {
        const job: Job = {
          _tag: "Deliver",
          delivery,
          done: (exit) => {
            exits[i] = exit
            if (--left === 0) done(exits)
          }
        }
        offer(entryOf(delivery.key), job)
        return job
      })
    }

    /** Processes `event` in the actor `key` and commits the step (see `deliverAll`). */
    const deliver = (key: string, event: AnyEventObject, cause: string, timer?: MailTimer) =>
      Effect.flatMap(deliverAll([{ key, event, cause, timer }]), ([exit]) => exit!)

    /** The actor's current snapshot (restoring it if passivated), in mailbox order. */
    const snapshotOf = (key: string) =>
      Effect.flatten(
        Effect.async<Exit.Exit<unknown, DeliveryFailure>>((resume) =>
          offer(entryOf(key), { _tag: "Read", done: (exit) => resume(Effect.succeed(exit)) })
        )
      )

    /** How many actors are in memory (not passivated). */
    const liveCount = Effect.sync(
      () => [...entries.values()].filter((entry) => entry.live !== undefined).length
    )

    /** The keys of the actors in memory (not passivated), for `/metrics`. */
    const liveKeys = Effect.sync(() =>
      [...entries.entries()].flatMap(([key, entry]) => (entry.live === undefined ? [] : [key]))
    )

    return { deliver, deliverAll, submitAll, snapshotOf, liveCount, liveKeys } as const
  }),
  dependencies: [SnapshotStore.Default, StepCommitter.Default]
}) {}
