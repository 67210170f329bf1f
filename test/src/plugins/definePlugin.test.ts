import { Effect, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { definePlugin, isPlugin } from "../../../src/plugins/definePlugin.ts"

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
})
