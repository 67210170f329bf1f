import type { AnyStateMachine, EmittedFrom, EventFromLogic } from "xstate"
import type { Reserved } from "../src/domain/Reserved.ts"
import { connectionMachine } from "./connection.machine.ts"
import { dialogMachine } from "./dialog.machine.ts"
import { groupMachine } from "./group.machine.ts"

export type { ConnectionContext, ConnectionEmitted, ConnectionEvent } from "./connection.machine.ts"
export type {
  AdminEntry,
  Author,
  ButtonFields,
  CommandFields,
  CreateTopic,
  GroupContext,
  GroupEmitted,
  GroupEvent,
  PendingTopic,
  PostedFields,
  TopicEntry,
  TopicKind
} from "./group.machine.ts"
export type {
  DialogMessage,
  DialogContext,
  DialogEmitted,
  DialogEvent,
  DialogStatus,
  TopicOpened
} from "./dialog.machine.ts"
export { connectionMachine, dialogMachine, groupMachine }

/**
 * One actor kind: its machine and the version of that machine's snapshot shape. Bump `version`
 * whenever a change makes an old persisted snapshot unreadable (a renamed state, a reshaped
 * context); add a `migrate` that lifts an older snapshot, or old snapshots are rejected.
 *
 * @example
 * const entry: MachineEntry = {
 *   machine: groupMachine,
 *   version: 2,
 *   // v1 kept admins as an array; v2 keys them by user id.
 *   migrate: (snapshot, from) => (from === 1 ? upgradeAdmins(snapshot) : undefined)
 * }
 */
export interface MachineEntry {
  /** A pure machine taking `{ key }` (the actor's key) as its input. */
  readonly machine: AnyStateMachine
  readonly version: number
  /**
   * Turns a persisted snapshot of version `from` into one of `version`; answers `undefined` when it
   * cannot, and the snapshot is rejected.
   */
  readonly migrate?: (snapshot: unknown, from: number) => unknown
}

/** Lifts a group snapshot of version 1 (no topics being created) to version 2. */
const migrateGroup = (snapshot: unknown, from: number): unknown => {
  if (from !== 1 || typeof snapshot !== "object" || snapshot === null) return undefined
  const state = snapshot as { readonly context?: object }
  return { ...state, context: { ...state.context, pending: {} } }
}

/** Lifts a dialog snapshot of version 1 (no answers sent by `dialog.answer` pending) to version 2. */
const migrateDialog = (snapshot: unknown, from: number): unknown => {
  if (from !== 1 || typeof snapshot !== "object" || snapshot === null) return undefined
  const state = snapshot as { readonly context?: object }
  return { ...state, context: { ...state.context, answering: [] } }
}

/**
 * Every actor kind, by the `<kind>` that starts its key (`group:-1001234567890`,
 * `connection:bot:7000000001`).
 *
 * @example
 * const { machine, version } = machines.group // groupMachine, 2
 */
export const machines = {
  // v2 added `pending` (topics asked of Telegram by `group.createTopic`); a v1 snapshot has none.
  group: { machine: groupMachine, version: 2, migrate: migrateGroup },
  connection: { machine: connectionMachine, version: 1 },
  // v2 added `answering` (answers of `dialog.answer` being posted in the topic).
  dialog: { machine: dialogMachine, version: 2, migrate: migrateDialog }
} as const satisfies Readonly<Record<string, MachineEntry>>

/** A registry of machines by kind (`machines`, or another one in tests). */
export type MachineRegistry = Readonly<Record<string, MachineEntry>>

/**
 * An actor kind: `"group" | "connection" | "dialog"`.
 *
 * @example
 * const kind: ActorKind = "group"
 */
export type ActorKind = keyof typeof machines

/**
 * The facts an actor kind emits: what a plugin subscribed to that kind receives from the journal.
 *
 * @example
 * const onTopic = (event: EmittedBy<"group">) => {
 *   if (event.type === "group.topicRegistered") console.log(`${event.name} is a ${event.kind} topic`)
 * }
 * type Status = EmittedBy<"connection">["type"] // "connection.online" | "connection.floodWaiting" | ...
 */
export type EmittedBy<K extends ActorKind> = Exclude<EmittedFrom<(typeof machines)[K]["machine"]>, Reserved>

/** Events each kind accepts that are orders, not facts from Telegram: what plugins may send. */
interface Commands {
  group: Extract<EventFromLogic<typeof groupMachine>, { type: "group.setTopicKind" | "group.createTopic" }>
  connection: Extract<EventFromLogic<typeof connectionMachine>, { type: "connection.start" }>
  dialog: Extract<EventFromLogic<typeof dialogMachine>, { type: "dialog.open" | "dialog.answer" }>
}

/**
 * The commands an actor kind accepts from plugins and admin commands (imperative `type`s).
 *
 * @example
 * const command: CommandFor<"group"> = { type: "group.setTopicKind", threadId: 42, kind: "announcements" }
 * yield* host.deliver(`group:${chatId}`, command, `plugin:announcements/${requestId}`)
 * // A plugin answering a client for the team (a dialog's id is `<connection>:<peerId>`):
 * yield* ctx.send("dialog", `${connection}:${peerId}`, { type: "dialog.answer", text, by: operator })
 */
export type CommandFor<K extends ActorKind> = Commands[K]
