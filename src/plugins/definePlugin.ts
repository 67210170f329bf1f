import { Predicate, Schema, type Effect, type Scope } from "effect"
import type { PluginContext } from "./PluginContext.ts"
import type { CommandIssued, PluginEventOf, PluginEventType } from "./PluginEvents.ts"

export type {
  Place,
  PluginContext,
  PluginLog,
  PluginStorage,
  PluginTimers,
  SendOptions,
  Store
} from "./PluginContext.ts"
export type {
  ActorFact,
  ApiEventReceived,
  CommandIssued,
  DeliveryFailedEvent,
  PluginEmitted,
  PluginEvent,
  PluginEventOf,
  PluginEventType,
  TimerEvent,
  TimerFired
} from "./PluginEvents.ts"

/**
 * The events plugins emit with `ctx.emit`, by type. A plugin declares its own by augmenting this
 * interface; other plugins then subscribe to them in `on` like to any other event. Their types
 * are `<plugin id>.<fact>` (`announcements.posted`).
 *
 * @example
 * declare module "../../src/plugins/definePlugin.ts" {
 *   interface PluginEmittedEvents {
 *     "polls.closed": { readonly type: "polls.closed"; readonly chatId: number; readonly votes: number }
 *   }
 * }
 */
// An interface, not a type, so that each plugin's module can add its events to it.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface PluginEmittedEvents {}

/**
 * A handler: what the plugin does with one event. Its failure (or a timeout) is contained: the
 * delivery is retried with back-off and, after the last attempt, listed for admins.
 *
 * @example
 * const greet: Handler<PluginEventOf<"group.topicRegistered">, NoConfig> = (event, ctx) =>
 *   ctx.post({ chatId: event.chatId, threadId: event.threadId }, `Welcome to ${event.name}`)
 */
export type Handler<E, Config> = (event: E, ctx: PluginContext<Config>) => Effect.Effect<unknown, unknown>

/**
 * Handlers by event type. Only the events machines emit (plus `delivery.failed` and `timer.fired`)
 * are keys: a handler for anything else is a compile error.
 *
 * @example
 * const on: Handlers<NoConfig> = { "group.topicClosed": (event, ctx) => ctx.log.info(`topic ${event.threadId} closed`) }
 */
export type Handlers<Config> = { readonly [T in PluginEventType]?: Handler<PluginEventOf<T>, Config> }

/**
 * A chat command the plugin adds. Backline lists it in Telegram's command menu (admin-only ones
 * for chat administrators only) and calls `run` where the plugin is enabled. An admin-only
 * command from anyone else is answered with a notice and not run.
 *
 * @example
 * const ping: PluginCommand<NoConfig> = {
 *   name: "ping",
 *   description: "Check that the bot is listening",
 *   run: (command, ctx) => ctx.reply(`pong ${command.args}`)
 * }
 */
export interface PluginCommand<Config> {
  /** The name after `/`: lower-case letters, digits and `_`, at most 32. */
  readonly name: string
  /** Shown in Telegram's command menu: 1 to 256 characters. */
  readonly description: string
  /** How to write the arguments, for `/plugin help` (`"<minutes> <text>"`). */
  readonly args?: string
  readonly adminOnly?: boolean
  readonly run: Handler<CommandIssued, Config>
}

/**
 * What a plugin module declares: see `definePlugin`.
 *
 * @example
 * const spec: PluginSpec<NoConfig, NoConfig> = { id: "hello", description: "Says hello", on: {} }
 */
export interface PluginSpec<Config, Encoded> {
  /** Kebab-case; for a built-in plugin, its folder in `plugins/`. */
  readonly id: string
  /** One line, shown by `/plugins` and `/plugin help`. */
  readonly description: string
  /** Its configuration: `plugins.json` gives defaults, admins override keys per group and topic. */
  readonly config?: Schema.Schema<Config, Encoded>
  readonly on?: Handlers<Config>
  readonly commands?: ReadonlyArray<PluginCommand<Config>>
  /** Background work for the life of Backline (polling a feed, a server); its failure is logged. */
  readonly start?: (ctx: PluginContext<Config>) => Effect.Effect<unknown, unknown, Scope.Scope>
}

/**
 * The configuration of a plugin that declares none.
 *
 * @example
 * const hello: Plugin<NoConfig> = definePlugin({ id: "hello", description: "Says hello" })
 */
export type NoConfig = Readonly<Record<string, never>>

const PluginTypeId: unique symbol = Symbol.for("backline/Plugin")

/**
 * A plugin, as `definePlugin` makes it.
 *
 * @example
 * const plugin: Plugin<{ readonly notice?: string }> = announcements
 */
export interface Plugin<Config, Encoded = Config> extends PluginSpec<Config, Encoded> {
  readonly [PluginTypeId]: typeof PluginTypeId
  readonly config: Schema.Schema<Config, Encoded>
  readonly on: Handlers<Config>
  readonly commands: ReadonlyArray<PluginCommand<Config>>
}

/**
 * Any plugin, its configuration type forgotten: what the host loads and runs.
 *
 * @example
 * const plugins: ReadonlyArray<AnyPlugin> = [announcements, tasks]
 */
export interface AnyPlugin {
  readonly [PluginTypeId]: typeof PluginTypeId
  readonly id: string
  readonly description: string
  readonly config: Schema.Schema.AnyNoContext
  readonly on: {
    readonly [T in PluginEventType]?: (event: never, ctx: never) => Effect.Effect<unknown, unknown>
  }
  readonly commands: ReadonlyArray<
    Omit<PluginCommand<unknown>, "run"> & {
      readonly run: (event: never, ctx: never) => Effect.Effect<unknown, unknown>
    }
  >
  readonly start?: ((ctx: never) => Effect.Effect<unknown, unknown, Scope.Scope>) | undefined
}

/**
 * Declares a plugin; a module's default export. Handlers return Effects and act only through the
 * context they are given.
 *
 * @example
 * import { Effect, Schema } from "effect"
 * import { definePlugin } from "../../src/plugins/definePlugin.ts"
 *
 * export default definePlugin({
 *   id: "announcements",
 *   description: "Only admins may post in the announcements topic",
 *   config: Schema.Struct({ notice: Schema.optional(Schema.String) }),
 *   on: {
 *     "group.messagePosted": (event, ctx) =>
 *       Effect.gen(function* () {
 *         if (event.topicKind !== "announcements" || (yield* ctx.isAdmin(event.from?.id ?? 0))) return
 *         yield* ctx.deleteMessage(event.chatId, event.messageId)
 *         if (ctx.config.notice !== undefined) yield* ctx.reply(ctx.config.notice)
 *       })
 *   }
 * })
 */
export const definePlugin = <Config = NoConfig, Encoded = NoConfig>(
  spec: PluginSpec<Config, Encoded>
): Plugin<Config, Encoded> => ({
  ...spec,
  [PluginTypeId]: PluginTypeId,
  // Without a schema Config is NoConfig, which the empty struct decodes.
  config: spec.config ?? (Schema.Struct({}) as unknown as Schema.Schema<Config, Encoded>),
  on: spec.on ?? {},
  commands: spec.commands ?? []
})

/**
 * Whether a module's export is a plugin made by `definePlugin`.
 *
 * @example
 * const plugin = isPlugin(module.default) ? module.default : undefined
 */
export const isPlugin = (value: unknown): value is AnyPlugin =>
  Predicate.hasProperty(value, PluginTypeId) && value[PluginTypeId] === PluginTypeId
