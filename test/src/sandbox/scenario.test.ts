import { describe, expect, it } from "vitest"
import { Scenario } from "../../../src/sandbox/Scenario.ts"
import { grammyBot } from "./harness.ts"

describe("Scenario and the demo world", () => {
  it("tells a support story: a client writes, an operator answers in the topic, the client reads it", async () => {
    const story = await Scenario.start({ limits: { enabled: false } })
    try {
      expect(story.demo.group).toMatchObject({ title: "Backline Demo", is_forum: true, type: "supergroup" })
      expect(story.demo.clients).toHaveLength(3)
      const bot = grammyBot(story.sandbox, story.token)
      const topics = new Map<number, number>()
      bot.on("message", async (ctx) => {
        if (ctx.chat.type === "private") {
          let thread = topics.get(ctx.chat.id)
          if (thread === undefined) {
            thread = (await ctx.api.createForumTopic(story.demo.group.id, ctx.from.first_name))
              .message_thread_id
            topics.set(ctx.chat.id, thread)
          }
          await ctx.api.copyMessage(story.demo.group.id, ctx.chat.id, ctx.message.message_id, {
            message_thread_id: thread
          })
        } else if (ctx.message.message_thread_id !== undefined && ctx.message.text !== undefined) {
          const client = [...topics].find(([, thread]) => thread === ctx.message.message_thread_id)?.[0]
          if (client !== undefined) await ctx.api.sendMessage(client, ctx.message.text)
        }
      })
      void bot.start({ timeout: 1 })

      story.client(0).writesTo(story.bot, "My order is late")
      const topic = await story.eventually(() => story.topics()[0])
      expect(topic.name).toBe("Alice")
      await story.eventually(() =>
        story.operator(0).sees(story.demo.group.id, topic.message_thread_id).includes("My order is late")
      )
      story.operator(0).repliesIn(topic.message_thread_id, "Sorry! It ships today.")
      await story.eventually(() => story.client(0).sees(story.bot.id).includes("Sorry! It ships today."))
      expect(story.client(0).sees(story.bot.id)).toEqual(["My order is late", "Sorry! It ships today."])
      expect(story.client(1).sees(story.bot.id)).toEqual([])
      await bot.stop()
    } finally {
      await story.close()
    }
  })
})
