import { describe, expect, it } from "vitest"
import { eventually, useDemo, type Demo } from "../../support/Demo.ts"

describe("a client dialog from first message to closed and reopened", () => {
  let demo: Demo
  useDemo((started) => (demo = started))

  it("opens a topic with the card, relays answers, shows the status in the title, closes and reopens", async () => {
    const client = demo.clients[0]!
    const operator = demo.operators[0]!
    // A bare /start opens nothing; /start <param> is recorded for the card; the first real message opens the topic.
    await demo.clientSays(client.id, "/start")
    await demo.clientSays(client.id, "/start spring-promo")
    await demo.clientSays(client.id, "Where is my order?")
    await demo.clientSays(client.id, "It is #1042")
    const topic = await demo.topicNamed(`🔴 ${client.name}`)
    const thread = topic.message_thread_id
    const seen = await eventually(async () => {
      const found = await demo.topicMessages(operator.id, thread)
      return found.length >= 3 ? found : undefined
    })
    expect(seen.map((message) => message.text)).toEqual([
      expect.stringMatching(new RegExp(`^👤 ${client.name}\\n[^]*/start spring-promo\\nvia bot:\\d+$`)),
      "Where is my order?",
      "It is #1042"
    ])
    expect((await demo.topics()).filter((found) => found.name.endsWith(client.name))).toHaveLength(1)

    // An internal comment stays in the group; the answer reaches the client; the title turns green.
    await demo.teamSays(operator.id, thread, "/ checking the warehouse")
    await demo.teamSays(operator.id, thread, "It ships today")
    const chat = await eventually(async () => {
      const found = await demo.privateChat(client.id)
      return found.some((message) => message.text === "It ships today") ? found : undefined
    })
    expect(chat.filter((message) => message.from?.id === demo.bot).map((message) => message.text)).toEqual([
      `Hello, ${client.name}! Thanks for writing. The team will answer here soon.`,
      "It ships today"
    ])
    const topicNow = async () => (await demo.topics()).find((found) => found.message_thread_id === thread)
    await eventually(async () => ((await topicNow())?.name === `🟢 ${client.name}` ? true : undefined))

    // /info posts the card again; /hold marks the dialog on hold.
    await demo.teamSays(operator.id, thread, "/info")
    await eventually(async () => {
      const cards = (await demo.topicMessages(operator.id, thread)).filter((m) => m.text?.startsWith("👤"))
      return cards.length === 2 ? true : undefined
    })
    await demo.teamSays(operator.id, thread, "/hold")
    await eventually(async () => ((await topicNow())?.name === `🟡 ${client.name}` ? true : undefined))

    // /close closes the topic; the client's next message reopens it, awaiting the team, with the welcome again.
    await demo.teamSays(operator.id, thread, "/close")
    await eventually(async () => {
      const now = await topicNow()
      return now?.is_closed === true && now.name === `⚪ ${client.name}` ? true : undefined
    })
    await demo.clientSays(client.id, "One more question")
    await eventually(async () => {
      const now = await topicNow()
      return now?.is_closed === false && now.name === `🔴 ${client.name}` ? true : undefined
    })
    const welcomes = (await demo.privateChat(client.id)).filter((message) =>
      message.text?.startsWith("Hello,")
    )
    expect(welcomes).toHaveLength(2)
    // /wait marks it answered without writing to the client.
    await demo.teamSays(operator.id, thread, "/wait")
    await eventually(async () => ((await topicNow())?.name === `🟢 ${client.name}` ? true : undefined))
  })

  it("a client who blocked the bot: the answer is not lost silently, the topic gets a note", async () => {
    const client = demo.clients[1]!
    const operator = demo.operators[0]!
    await demo.clientSays(client.id, "Hi")
    const topic = await demo.topicNamed(`🔴 ${client.name}`)
    await demo.post("/blocks", { user: client.id, bot: demo.bot })
    await demo.teamSays(operator.id, topic.message_thread_id, "Are you still there?")
    await eventually(async () =>
      (await demo.topicMessages(operator.id, topic.message_thread_id)).find((message) =>
        message.text?.includes("has blocked the bot")
      )
    )
  })
})
