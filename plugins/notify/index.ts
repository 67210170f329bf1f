import { Effect, Option } from "effect"
import { definePlugin, type PluginContext, type PluginEventOf } from "../../src/plugins/definePlugin.ts"
import type {} from "../announcements/index.ts"
import type {} from "../tasks/index.ts"
import { Config, feeds, routesForEvent, routesForSource, type Feed } from "./config.ts"
import { closeWindow, defaultTopic, deliver, editFired, flush, kindKey, topicKey } from "./deliver.ts"
import { html } from "./template.ts"

type Ctx = PluginContext<Config>

const GENERAL = 1

// Another plugin's event: every route that lists its type, in the event's group.
const fromPlugin = (event: PluginEventOf<Feed>, ctx: Ctx) =>
  Effect.forEach(routesForEvent(ctx.config, event.type), ([route, entry]) =>
    deliver(ctx, event.chatId, route, entry, event)
  )

const feedHandlers = Object.fromEntries(feeds.map((type) => [type, fromPlugin])) as {
  readonly [T in Feed]: (event: PluginEventOf<T>, ctx: Ctx) => Effect.Effect<unknown>
}

// Forgets the names a topic was known by, so a renamed topic is found by its new name only.
const forgetTopic = (ctx: Ctx, chatId: number, threadId: number) =>
  Effect.gen(function* () {
    const store = ctx.storage.at({ chatId })
    for (const [key, value] of yield* store.entries())
      if (key.startsWith("topic:") && value === threadId) yield* store.delete(key)
  })

const learnTopic = (ctx: Ctx, chatId: number, threadId: number, name: string | null, kind: string | null) =>
  Effect.gen(function* () {
    const store = ctx.storage.at({ chatId })
    if (name !== null) {
      yield* forgetTopic(ctx, chatId, threadId)
      yield* store.set(topicKey(name), threadId)
      yield* flush(ctx, chatId, name, threadId)
    }
    if (kind === "notifications") {
      yield* store.set(kindKey, threadId)
      yield* flush(ctx, chatId, defaultTopic, threadId)
    } else if (kind !== null) {
      const current = yield* store.get(kindKey)
      if (Option.isSome(current) && current.value === threadId) yield* store.delete(kindKey)
    }
  })

const describeRoutes = (config: Config) => {
  const lines = Object.entries(config.routes).map(([route, entry]) => {
    const takes = [`source ${entry.source ?? route}`, ...entry.events].join(", ")
    const topic =
      entry.topic === undefined
        ? "the Notifications topic"
        : typeof entry.topic === "number"
          ? `topic ${entry.topic}`
          : `“${entry.topic}”`
    const extras = [
      entry.severity,
      entry.dedup === undefined ? undefined : `dedup ${entry.dedup.seconds} s`,
      entry.rateLimit === undefined
        ? undefined
        : `at most ${entry.rateLimit.max} per ${entry.rateLimit.seconds} s`
    ].filter((extra) => extra !== undefined)
    return `• ${route}: ${takes} → ${topic} (${extras.join(", ")})`
  })
  return lines.length === 0
    ? "notify has no routes here. Add them with /plugin config notify routes {…} (see its README)."
    : `notify routes in force here:\n${lines.join("\n")}`
}

export default definePlugin({
  id: "notify",
  description: "Posts events of other systems and plugins into topics, by named routes",
  config: Config,
  on: {
    "api.eventReceived": (event, ctx) =>
      Effect.forEach(routesForSource(ctx.config, event.source), ([route, entry]) =>
        deliver(ctx, event.chatId, route, entry, event.body)
      ),
    ...feedHandlers,
    "group.topicRegistered": (event, ctx) =>
      learnTopic(ctx, event.chatId, event.threadId, event.name, event.kind),
    "group.topicRenamed": (event, ctx) => learnTopic(ctx, event.chatId, event.threadId, event.name, null),
    "group.topicKindSet": (event, ctx) => learnTopic(ctx, event.chatId, event.threadId, null, event.kind),
    "timer.fired": (fired, ctx) => {
      const chatId = Number(fired.event["chatId"])
      if (fired.event.type === "notify.edit")
        return editFired(ctx, chatId, String(fired.event["key"]), Number(fired.event["attempt"]))
      return fired.event.type === "notify.window"
        ? closeWindow(ctx, chatId, String(fired.event["route"]), Number(fired.event["start"]))
        : Effect.void
    },
    // A topic notify asked for could not be made: what waited for it is dropped, and General is told.
    "delivery.failed": (failed, ctx) =>
      Effect.gen(function* () {
        if (failed.method !== "createForumTopic") return
        const store = ctx.storage.at({ chatId: failed.chat_id })
        for (const [key] of yield* store.entries()) if (key.startsWith("pending:")) yield* store.delete(key)
        yield* ctx.post(
          { chatId: failed.chat_id },
          `notify could not create its topic (${html(failed.description)}), so notifications waiting for it were dropped. ` +
            "Write /notify here in the topic they should go to, or give each route a topic.",
          { parse_mode: "HTML" }
        )
      })
  },
  commands: [
    {
      name: "notify",
      description: "Show notify's routes, or make this topic the Notifications topic (here)",
      args: "[here]",
      adminOnly: true,
      run: (command, ctx) =>
        Effect.gen(function* () {
          const arg = command.args.trim().toLowerCase()
          if (arg === "") return yield* ctx.reply(describeRoutes(ctx.config))
          if (arg !== "here")
            return yield* ctx.reply("Usage: /notify (the routes) or /notify here (in a topic).")
          if (command.threadId === GENERAL)
            return yield* ctx.reply("General is for Backline's own notices: write /notify here in a topic.")
          yield* ctx.send("group", command.chatId, {
            type: "group.setTopicKind",
            threadId: command.threadId,
            kind: "notifications"
          })
          yield* ctx.storage.at({ chatId: command.chatId }).set(kindKey, command.threadId)
          yield* ctx.reply("Notifications of routes without a topic now go here.")
          yield* flush(ctx, command.chatId, defaultTopic, command.threadId)
        })
    }
  ]
})
