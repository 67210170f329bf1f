import type { ActorKind, EmittedBy } from "../../machines/index.ts"
import type { DeliveryFailed } from "../telegram/Outbox.ts"
import type { PluginEmittedEvents } from "./definePlugin.ts"

/**
 * Every fact an actor journals: the union of `EmittedBy<K>` over all actor kinds.
 *
 * @example
 * const describe = (fact: ActorFact) =>
 *   fact.type === "group.topicRegistered" ? `new ${fact.kind} topic ${fact.name}` : fact.type
 */
export type ActorFact = { [K in ActorKind]: EmittedBy<K> }[ActorKind]

/**
 * Telegram refused a Bot API call for good (see the Sender). A plugin receives the failures of its
 * own calls, and those of the actors in groups where it is enabled.
 *
 * @example
 * on: {
 *   "delivery.failed": (event, ctx) =>
 *     ctx.log.warning(`${event.method} in ${event.chat_id} failed: ${event.description}`)
 * }
 */
export interface DeliveryFailedEvent extends DeliveryFailed {
  readonly type: "delivery.failed"
}

/**
 * The event a plugin gave `ctx.timers.set`: any JSON object with a `type`.
 *
 * @example
 * const event: TimerEvent = { type: "remind", chatId: -1001234567890, threadId: 42, text: "Stand-up" }
 */
export interface TimerEvent {
  readonly type: string
  readonly [field: string]: unknown
}

/**
 * One of the plugin's own timers fell due: `name` is the name it was set with, `event` the event
 * given then. It reaches only the plugin that set it, even where that plugin is now disabled.
 *
 * @example
 * on: {
 *   "timer.fired": (fired, ctx) =>
 *     fired.name.startsWith("remind:")
 *       ? ctx.post({ chatId: Number(fired.event.chatId) }, String(fired.event.text))
 *       : Effect.void
 * }
 */
export interface TimerFired {
  readonly type: "timer.fired"
  readonly name: string
  readonly event: TimerEvent
}

/**
 * An external system posted an event through the HTTP API (`POST /api/v1/events/{source}`) with a
 * token of the group `chatId`. It was stored before the API answered 202 and reaches the plugins
 * enabled in that group; `eventId` is unique, so a handler can use it to act once.
 *
 * @example
 * on: {
 *   "api.eventReceived": (event, ctx) =>
 *     event.source === "payments" ? ctx.post({ chatId: event.chatId }, JSON.stringify(event.body)) : Effect.void
 * }
 */
export interface ApiEventReceived {
  readonly type: "api.eventReceived"
  readonly eventId: string
  /** The `{source}` of the request path (`payments`, `monitoring`). */
  readonly source: string
  readonly chatId: number
  /** The request's JSON body, as sent. */
  readonly body: unknown
  /** When Backline stored it (ISO 8601). */
  readonly receivedAt: string
}

/**
 * An event a plugin emitted with `ctx.emit`: one of those declared in `PluginEmittedEvents`.
 *
 * @example
 * const from = (event: PluginEmitted) => event.type.slice(0, event.type.indexOf("."))
 */
export type PluginEmitted = PluginEmittedEvents[keyof PluginEmittedEvents]

/**
 * Everything a plugin can subscribe to: the facts actors emit, refused deliveries, its own
 * timers, and what plugins emit. Handlers are keyed by `type`, so a handler for anything else
 * does not compile.
 *
 * @example
 * const text = (event: PluginEvent) => (event.type === "group.messagePosted" ? event.text : null)
 */
export type PluginEvent = ActorFact | DeliveryFailedEvent | TimerFired | ApiEventReceived | PluginEmitted

/**
 * The namespaces of the events actors and the host journal (`group.…`, `api.…`): no plugin id, as
 * a plugin's emitted events are typed `<id>.<fact>`.
 *
 * @example
 * hostNamespaces.includes("dialog") // true
 */
export const hostNamespaces = ["group", "connection", "dialog", "timer", "delivery", "plugin", "api"] as const

/**
 * Whether a journal row is an event a plugin emitted (`<id>.<fact>` under `plugin:<id>`), rather
 * than one of that plugin's own timers or refused calls.
 *
 * @example
 * isEmittedRow({ actorKey: "plugin:announcements", type: "announcements.posted" }) // true
 */
export const isEmittedRow = (row: { readonly actorKey: string; readonly type: string }) =>
  row.actorKey.startsWith("plugin:") &&
  row.type !== "timer.fired" &&
  row.type !== "delivery.failed" &&
  row.type.startsWith(`${row.actorKey.slice("plugin:".length)}.`)

/**
 * The `type` of each event a plugin can subscribe to: `"group.messagePosted"`,
 * `"group.commandIssued"`, `"group.topicRegistered"`, `"connection.online"`, `"delivery.failed"`,
 * `"timer.fired"`, ...
 *
 * @example
 * const subscribed: ReadonlyArray<PluginEventType> = ["group.messagePosted", "timer.fired"]
 */
export type PluginEventType = PluginEvent["type"]

/**
 * The event of one `type`.
 *
 * @example
 * const onCommand = (event: PluginEventOf<"group.commandIssued">) => `/${event.command} ${event.args}`
 */
export type PluginEventOf<T extends PluginEventType> = Extract<PluginEvent, { readonly type: T }>

/**
 * A command someone gave in a group, as a plugin command's `run` receives it.
 *
 * @example
 * const run = (command: CommandIssued) => command.args.split(/\s+/).filter((word) => word !== "")
 */
export type CommandIssued = PluginEventOf<"group.commandIssued">

/**
 * Where an event happened: a group, and a topic when it names one.
 *
 * @example
 * const place = placeOf(event) // { chatId: -1001234567890, threadId: 42 } for a message in topic 42
 */
export const placeOf = (event: PluginEvent): { chatId: number; threadId?: number } | undefined => {
  if (event.type === "delivery.failed") return event.chat_id < 0 ? { chatId: event.chat_id } : undefined
  if (!("chatId" in event)) return undefined
  return "threadId" in event ? { chatId: event.chatId, threadId: event.threadId } : { chatId: event.chatId }
}
