import { createActor, type AnyActor, type AnyEventObject, type Snapshot } from "xstate"
import type { MailTimer } from "./Mailbox.ts"
import type { SnapshotRow } from "./SnapshotStore.ts"
import {
  ActorFailed,
  inboxRowOf,
  isOutboxSend,
  isReserved,
  mailRowOf,
  outboxEntries,
  SnapshotVersionMismatch,
  UnknownActorKind,
  type ActorHostSettings,
  type Step,
  type StepOutcome,
  type TimerCancel,
  type TimerChange,
  type TimerSet
} from "./Step.ts"

/** An actor in memory, with what the host keeps beside xstate's own snapshot. */
export interface Live {
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

/** The machine kind `key` names (`<kind>:<rest>`), or why there is none. */
const kindOf = (settings: ActorHostSettings, key: string) => {
  const colon = key.indexOf(":")
  return colon > 0 ? settings.registry[key.slice(0, colon)] : undefined
}

/**
 * Starts the actor `key` from its stored row (or fresh, without one). `onDelayed` is called for a
 * snapshot change the host did not drive: a delayed transition (xstate `after`) that needs its own
 * step. Fails for an unknown kind, or a snapshot of another machine or version with no migration.
 */
export const restoreLive = (
  settings: ActorHostSettings,
  key: string,
  row: SnapshotRow | undefined,
  onDelayed: () => void
): Live | UnknownActorKind | SnapshotVersionMismatch => {
  const kind = kindOf(settings, key)
  if (kind === undefined) return new UnknownActorKind({ key })
  const expected = { machine: kind.machine.id, version: kind.version }
  let state: unknown = undefined
  if (row !== undefined) {
    const found = { machine: row.machine, version: row.version }
    if (found.machine === expected.machine && found.version === expected.version) state = row.snapshot.state
    else if (found.machine === expected.machine) state = kind.migrate?.(row.snapshot.state, found.version)
    if (state === undefined) return new SnapshotVersionMismatch({ key, found, expected })
  }
  const live: Live = {
    actor: createActor(kind.machine, {
      id: key,
      input: { key },
      ...(state === undefined ? {} : { snapshot: state as Snapshot<unknown> })
    }),
    ...expected,
    buffer: [],
    causes: row?.snapshot.causes ?? [],
    timers: row?.snapshot.timers ?? {},
    driving: true
  }
  live.actor.on("*", (event: AnyEventObject) => live.buffer.push(event))
  live.actor.subscribe({
    next: () => {
      if (!live.driving) onDelayed()
    },
    error: () => {} // read from the snapshot's status by the step
  })
  live.actor.start()
  live.driving = false
  return live
}

/** The state value of the actor's snapshot. */
export const valueOf = (live: Live): unknown => (live.actor.getSnapshot() as { value?: unknown }).value

/**
 * Sends `event` to the actor, unless it comes from a due durable timer the actor has since set
 * again or cancelled: that one is spent without reaching the machine. Answers whether it was sent.
 */
export const applyEvent = (live: Live, event: AnyEventObject, timer: MailTimer | undefined): boolean => {
  const current = timer === undefined || live.timers[timer.name] === timer.generation
  if (timer !== undefined && current) {
    const { [timer.name]: _, ...rest } = live.timers
    live.timers = rest
  }
  if (!current) return false
  live.driving = true
  try {
    live.actor.send(event)
  } finally {
    live.driving = false
  }
  return true
}

/** A step ready to commit, and what the actor keeps once it has. */
export interface Prepared {
  readonly step: Step
  readonly outcome: StepOutcome
  readonly causes: ReadonlyArray<string>
  readonly timers: Readonly<Record<string, string>>
}

/**
 * What the actor's last transition decided, as a step for `cause`: its persisted snapshot, the
 * events it emitted sorted into journal rows, outbox rows, timer changes and topic claims. Fails
 * with `ActorFailed` if the machine threw (its snapshot is in error).
 */
export const prepareStep = (
  settings: ActorHostSettings,
  key: string,
  live: Live,
  cause: string
): Prepared | ActorFailed => {
  const snapshot = live.actor.getSnapshot() as Snapshot<unknown> & { value?: unknown }
  if (snapshot.status === "error") return new ActorFailed({ key, cause, reason: String(snapshot.error) })
  const emitted = live.buffer.splice(0)
  const causes = [...live.causes, cause].slice(-settings.recentCauses)
  const changes: Array<TimerChange> = []
  const timers = { ...live.timers }
  const journal: Array<AnyEventObject> = []
  const sends = []
  const claims = []
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
    } else if (event.type === "topic.claim")
      claims.push({ chatId: Number(event["chatId"]), threadId: Number(event["threadId"]) })
    if (isOutboxSend(event)) sends.push(event)
    else if (!isReserved(event)) journal.push(event)
  }
  return {
    step: {
      key,
      cause,
      machine: live.machine,
      version: live.version,
      snapshot: { state: live.actor.getPersistedSnapshot(), causes, timers },
      journal,
      outbox: outboxEntries(key, cause, sends),
      timers: changes,
      claims,
      inbox: inboxRowOf(cause),
      mail: mailRowOf(cause)
    },
    outcome: { key, cause, replayed: false, value: snapshot.value, emitted },
    causes,
    timers
  }
}

/** Whether the actor has delayed transitions pending in memory (xstate `after`): not to be passivated. */
export const hasDelayed = (live: Live | undefined) =>
  live !== undefined && Object.keys(live.actor.system.getSnapshot()._scheduledEvents).length > 0
