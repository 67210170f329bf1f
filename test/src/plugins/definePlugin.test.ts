import { Effect, Schema } from "effect"
import { describe, expect, expectTypeOf, it } from "vitest"
import {
  definePlugin,
  isPlugin,
  type CommandIssued,
  type NoConfig,
  type Plugin,
  type PluginContext,
  type PluginEventOf,
  type TimerEvent
} from "../../../src/plugins/definePlugin.ts"

describe("definePlugin", () => {
  it("types handlers from the events machines emit, and refuses any other key at compile time", () => {
    const plugin = definePlugin({
      id: "typed",
      description: "Handlers typed from the machines",
      config: Schema.Struct({ notice: Schema.String }),
      on: {
        "group.messagePosted": (event, ctx) => ctx.reply(`${ctx.config.notice}: ${event.text ?? ""}`),
        "delivery.failed": (event, ctx) => ctx.log.warning(event.description),
        "timer.fired": (event) => Effect.log(event.name)
      }
    })
    definePlugin({
      id: "untyped",
      description: "A handler for an event no machine emits",
      on: {
        // @ts-expect-error: no machine emits "group.messageDeleted"
        "group.messageDeleted": () => Effect.void
      }
    })
    definePlugin({
      id: "wrong-field",
      description: "A handler reading a field its event does not have",
      // @ts-expect-error: a topic's registration has no text
      on: { "group.topicRegistered": (event) => Effect.log(event.text) }
    })
    expect(isPlugin(plugin)).toBe(true)
    expect(isPlugin({ id: "typed" })).toBe(false)
  })

  // These assertions are checked by the compiler (`npm run check` runs tsc on test/): a change to
  // the event or context types that breaks a plugin's code breaks this file.
  it("gives each handler its event's type, and handlers, commands and start the configuration's", () => {
    const Config = Schema.Struct({
      notice: Schema.String,
      pin: Schema.optionalWith(Schema.Boolean, { default: () => false })
    })
    type Config = { readonly notice: string; readonly pin: boolean }
    const plugin = definePlugin({
      id: "typed",
      description: "Every handler's parameters typed",
      config: Config,
      on: {
        "group.messagePosted": (event, ctx) => {
          expectTypeOf(event).toEqualTypeOf<PluginEventOf<"group.messagePosted">>()
          expectTypeOf(event.type).toEqualTypeOf<"group.messagePosted">()
          expectTypeOf(event.text).toEqualTypeOf<string | null>()
          expectTypeOf(event.threadId).toEqualTypeOf<number>()
          expectTypeOf(event.fromAdmin).toEqualTypeOf<boolean>()
          expectTypeOf(ctx).toEqualTypeOf<PluginContext<Config>>()
          expectTypeOf(ctx.config).toEqualTypeOf<Config>()
          return Effect.void
        },
        "dialog.teamAnswered": (event, ctx) => {
          expectTypeOf(event.type).toEqualTypeOf<"dialog.teamAnswered">()
          expectTypeOf(event.by).toEqualTypeOf<number>()
          expectTypeOf(event.peerId).toEqualTypeOf<number>()
          expectTypeOf(ctx.config.pin).toEqualTypeOf<boolean>()
          return Effect.void
        },
        "dialog.statusChanged": (event) => {
          expectTypeOf(event.by).toEqualTypeOf<number | null>()
          return Effect.void
        },
        "group.commandIssued": (event) => {
          expectTypeOf(event).toEqualTypeOf<CommandIssued>()
          expectTypeOf(event.args).toEqualTypeOf<string>()
          expectTypeOf(event.addressedTo).toEqualTypeOf<string | null>()
          return Effect.void
        },
        "timer.fired": (event) => {
          expectTypeOf(event.name).toEqualTypeOf<string>()
          expectTypeOf(event.event).toEqualTypeOf<TimerEvent>()
          return Effect.void
        }
      },
      commands: [
        {
          name: "typed",
          description: "A command typed like a handler",
          run: (command, ctx) => {
            expectTypeOf(command).toEqualTypeOf<CommandIssued>()
            expectTypeOf(ctx).toEqualTypeOf<PluginContext<Config>>()
            expectTypeOf(ctx.config.notice).toEqualTypeOf<string>()
            return Effect.void
          }
        }
      ],
      start: (ctx) => {
        expectTypeOf(ctx).toEqualTypeOf<PluginContext<Config>>()
        return Effect.void
      }
    })
    expectTypeOf(plugin).toEqualTypeOf<Plugin<Config, typeof Config.Encoded>>()
    expectTypeOf(plugin.on["dialog.teamAnswered"])
      .parameter(0)
      .toEqualTypeOf<PluginEventOf<"dialog.teamAnswered">>()

    const plain = definePlugin({
      id: "plain",
      description: "No configuration",
      on: { "group.topicClosed": (event, ctx) => ctx.log.info(`topic ${event.threadId} closed`) }
    })
    expectTypeOf(plain).toEqualTypeOf<Plugin<NoConfig, NoConfig>>()
    expectTypeOf(plain.on["group.topicClosed"]).parameter(1).toEqualTypeOf<PluginContext<NoConfig>>()

    definePlugin({
      id: "unknown-event",
      description: "A handler for an event that does not exist",
      on: {
        // @ts-expect-error: "no.such.event" is no event's type
        "no.such.event": () => Effect.void
      }
    })
    definePlugin({
      id: "wrong-config",
      description: "A handler reading a key its configuration lacks",
      config: Config,
      // @ts-expect-error: the configuration has no "notise"
      on: { "group.messagePosted": (_event, ctx) => Effect.log(ctx.config.notise) }
    })
    expect(plugin.commands.map((command) => command.name)).toEqual(["typed"])
    expect(Object.keys(plugin.on)).toEqual([
      "group.messagePosted",
      "dialog.teamAnswered",
      "dialog.statusChanged",
      "group.commandIssued",
      "timer.fired"
    ])
  })
})
