import { Duration, Effect, Option, Schema } from "effect"
import { definePlugin } from "../../../src/plugins/definePlugin.ts"

/**
 * An example plugin: counts the messages of each topic (`/tally` tells), and reminds a topic of
 * something later (`/remind <seconds> <text>`, for admins).
 */
export default definePlugin({
  id: "tally",
  description: "Counts each topic's messages; reminds a topic later",
  config: Schema.Struct({
    /** The word after the count. */
    label: Schema.optionalWith(Schema.String, { default: () => "messages" })
  }),
  on: {
    "group.messagePosted": (event, ctx) =>
      Effect.gen(function* () {
        if (event.text?.startsWith("/") === true) return // commands are not counted
        const count = yield* ctx.storage.topic.get("count", Schema.Number)
        yield* ctx.storage.topic.set("count", Option.getOrElse(count, () => 0) + 1)
      }),
    "timer.fired": (fired, ctx) =>
      ctx.post(
        { chatId: Number(fired.event["chatId"]), threadId: Number(fired.event["threadId"]) },
        `Reminder: ${String(fired.event["text"])}`
      )
  },
  commands: [
    {
      name: "tally",
      description: "How many messages this topic has",
      run: (_command, ctx) =>
        Effect.gen(function* () {
          const count = yield* ctx.storage.topic.get("count", Schema.Number)
          yield* ctx.reply(`${Option.getOrElse(count, () => 0)} ${ctx.config.label}`)
        })
    },
    {
      name: "remind",
      description: "Remind this topic of something later",
      args: "<seconds> <text>",
      adminOnly: true,
      run: (command, ctx) => {
        const [seconds = "", ...words] = command.args.split(/\s+/)
        if (!/^\d+$/.test(seconds) || words.length === 0) return ctx.reply("Usage: /remind <seconds> <text>")
        const event = {
          type: "remind",
          chatId: command.chatId,
          threadId: command.threadId,
          text: words.join(" ")
        }
        return Effect.zipRight(
          ctx.timers.set(
            `remind:${command.chatId}:${command.messageId}`,
            Duration.seconds(Number(seconds)),
            event
          ),
          ctx.reply(`I will remind this topic in ${seconds} s.`)
        )
      }
    }
  ]
})
