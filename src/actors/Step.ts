import { Context, Data, Duration } from "effect"
import type { AnyEventObject } from "xstate"
import { machines, type MachineRegistry } from "../../machines/index.ts"
import { ConnectionId } from "../domain/Ids.ts"
import type { OutboxSend, TimerSet } from "../domain/Reserved.ts"
import type { OutboxEntry } from "../telegram/Outbox.ts"

/** No machine is registered for the kind that starts `key`. */
export class UnknownActorKind extends Data.TaggedError("UnknownActorKind")<{ readonly key: string }> {
  override get message() {
    return `no machine is registered for the actor key "${this.key}"`
  }
}

/** The stored snapshot of `key` belongs to another machine or version, and no migration applies. */
export class SnapshotVersionMismatch extends Data.TaggedError("SnapshotVersionMismatch")<{
  readonly key: string
  readonly found: { readonly machine: string; readonly version: number }
  readonly expected: { readonly machine: string; readonly version: number }
}> {
  override get message() {
    return (
      `actor ${this.key}: its snapshot is ${this.found.machine} v${this.found.version}, the machine is ` +
      `${this.expected.machine} v${this.expected.version}, and no migration turns one into the other`
    )
  }
}

/** The machine threw while processing an event (an action or guard failed); nothing was committed. */
export class ActorFailed extends Data.TaggedError("ActorFailed")<{
  readonly key: string
  readonly cause: string
  readonly reason: string
}> {
  override get message() {
    return `actor ${this.key} failed on ${this.cause}: ${this.reason}`
  }
}

export type DeliveryFailure = UnknownActorKind | SnapshotVersionMismatch | ActorFailed

export type { OutboxSend, TimerCancel, TimerSet, TopicClaim } from "../domain/Reserved.ts"
export { isReserved } from "../domain/Reserved.ts"

export const isOutboxSend = (event: AnyEventObject): event is OutboxSend => event.type === "outbox.send"

/** A timer change a step commits, in the order the machine emitted them. */
export type TimerChange =
  | { readonly _tag: "Set"; readonly set: TimerSet; readonly generation: string }
  | { readonly _tag: "Cancel"; readonly name: string }

/** What one step decided, ready to be committed. */
export interface Step {
  readonly key: string
  readonly cause: string
  readonly machine: string
  readonly version: number
  /** The row's `snapshot` column: xstate's persisted snapshot and the causes lately applied. */
  readonly snapshot: StoredSnapshot
  readonly journal: ReadonlyArray<AnyEventObject>
  readonly outbox: ReadonlyArray<OutboxEntry>
  readonly timers: ReadonlyArray<TimerChange>
  /** Forum topics the actor claimed in this step (see `TopicClaim`). */
  readonly claims: ReadonlyArray<{ readonly chatId: number; readonly threadId: number }>
  /** The inbox row the cause names, marked done with the step. */
  readonly inbox: { readonly connection: string; readonly updateId: number } | undefined
  /** The `actor_mail` row the cause names, marked done with the step. */
  readonly mail: number | undefined
}

/** The `actor_snapshot.snapshot` JSON. */
export interface StoredSnapshot {
  readonly state: unknown
  /** The last causes applied (newest last): a cause found here is a replay. */
  readonly causes: ReadonlyArray<string>
  /** The generation of each durable timer the actor has set and not seen fire or cancelled, by name. */
  readonly timers?: Readonly<Record<string, string>>
}

/** What `deliver` answers. */
export interface StepOutcome {
  readonly key: string
  readonly cause: string
  /** `true` when the cause had already been applied: nothing was done. */
  readonly replayed: boolean
  /** The state value after the step. */
  readonly value: unknown
  readonly emitted: ReadonlyArray<AnyEventObject>
}

const inboxCause = /^inbox:((?:bot|account):\d+)\/(\d+)$/

/** The inbox row an `inbox:<connection>/<update_id>` cause names. */
export const inboxRowOf = (cause: string): Step["inbox"] => {
  const match = inboxCause.exec(cause)
  return match === null ? undefined : { connection: match[1]!, updateId: Number(match[2]) }
}

/** The `actor_mail` row a `mail:<id>` cause names. */
export const mailRowOf = (cause: string): number | undefined => {
  const match = /^mail:(\d+)$/.exec(cause)
  return match === null ? undefined : Number(match[1])
}

/** The log annotations of a step: the actor and the cause, and for an inbox cause its update. */
export const stepAnnotations = (key: string, cause: string): Record<string, string> => {
  const inbox = inboxRowOf(cause.replace(/#\d+$/, ""))
  return inbox === undefined
    ? { actor: key, cause }
    : { actor: key, cause, update: `${inbox.connection}/${inbox.updateId}` }
}

/** Turns the reserved sends of a step into outbox entries. */
export const outboxEntries = (
  key: string,
  cause: string,
  sends: ReadonlyArray<OutboxSend>
): Array<OutboxEntry> =>
  sends.map((send) => ({
    connection: ConnectionId.make(send.connection),
    chatId: send.chatId,
    method: send.method,
    params: send.params,
    actorKey: key,
    cause,
    ...(send.replyAs === undefined ? {} : { replyAs: send.replyAs }),
    ...(send.reportFailure === true ? { reportFailure: true } : {})
  }))

/** The ActorHost's settings. */
export interface ActorHostSettings {
  readonly registry: MachineRegistry
  readonly passivateAfter: Duration.DurationInput
  readonly mailboxCapacity: number
  readonly maxBatch: number
  readonly committers: number
  readonly recentCauses: number
}

/** The ActorHost's settings (`ActorHostSettings`), with defaults. */
export class ActorHostConfig extends Context.Reference<ActorHostConfig>()("app/ActorHostConfig", {
  defaultValue: (): ActorHostSettings => ({
    registry: machines,
    /** An actor idle this long is stopped and dropped from memory. */
    passivateAfter: Duration.minutes(5),
    mailboxCapacity: 1024,
    /** Most steps committed in one transaction. */
    maxBatch: 64,
    /** Transactions committing at once. */
    committers: 2,
    /** Causes remembered per actor for replay detection. */
    recentCauses: 64
  })
}) {}
