// The inbox's limits as people see them, end to end: `backline start` as a child process against a
// sandbox in this process with its rate limits off (a flood of 25 messages would otherwise wait on
// Telegram's 20 a minute per group): the flood limit, and Backline's long texts split to fit.
import { describe, expect, it } from "vitest"

import { sleep, until, viewOf } from "../../support/Helpdesk.ts"
import { useHelpdesk } from "../../support/HelpdeskFixture.ts"

describe("the flood limit and long texts", () => {
  const running = useHelpdesk({ bot: "limits_desk_bot", title: "Limits desk", operators: ["Oleg"] })

  it("a client sending more than 20 messages within a minute: the rest of that minute stays out of the topic, the client is told once", async () => {
    const world = running.sandbox.world
    const view = viewOf(world)
    const bot = running.desk.bot.user.id
    const operator = running.desk.operators[0]!
    const client = world.createUser({ first_name: "Flo" })
    // 25 messages in well under a second of the sandbox's clock.
    const started = world.world.now()
    const sent = Array.from({ length: 25 }, (_, index) =>
      world.sendMessage({ from: client.id, chat_id: bot, text: `message ${index + 1}` })
    )
    expect(sent.at(-1)!.date - started).toBeLessThan(60)
    const topic = await view.topicNamed(running.desk.group, "🔴 Flo")
    const tooFast = (text: string | undefined) =>
      text?.startsWith("You are sending messages too fast") === true
    await until(() =>
      world.messages(bot, client.id).some((message) => tooFast(message.text)) ? true : undefined
    )
    await view.topicHolding(running.desk.group, operator.id, topic.message_thread_id, 21)
    // Nothing more is on its way: what is there now is what the team and the client get.
    await sleep(1_500)
    const [card, ...copies] = view.topicMessages(running.desk.group, operator.id, topic.message_thread_id)
    expect(card?.text).toMatch(/^👤 Flo\n/)
    expect(copies.map((message) => message.text)).toEqual(
      Array.from({ length: 20 }, (_, index) => `message ${index + 1}`)
    )
    const told = world.messages(bot, client.id).filter((message) => tooFast(message.text))
    expect(told.map((message) => message.text)).toEqual([
      "You are sending messages too fast. Messages sent in the next 10 minutes will not reach the team."
    ])
  })

  it("a WELCOME that grows past 4,096 characters with the client's name, and /settings showing it, arrive in several messages, none lost", async () => {
    const world = running.sandbox.world
    const bot = running.desk.bot.user.id
    // 97 lines, each with the client's name: about 3,900 characters as set, about 6,500 as sent.
    const welcome = Array.from(
      { length: 97 },
      (_, index) => `{title}, rule ${index + 1}: we read all you send.`
    ).join("\n")
    const set = `/set WELCOME ${welcome}`
    expect(set.length).toBeLessThanOrEqual(4096)
    world.sendMessage({ from: running.desk.owner.id, chat_id: running.desk.group, text: set })
    await until(() =>
      world
        .messages(running.desk.group, running.desk.owner.id)
        .find((message) => message.from?.id === bot && message.text?.startsWith("WELCOME is now") === true)
    )

    const name = "Maximilian Alexander von Hohenberg"
    const client = world.createUser({ first_name: "Maximilian", last_name: "Alexander von Hohenberg" })
    world.sendMessage({ from: client.id, chat_id: bot, text: "Hello" })
    const expected = welcome.replaceAll("{title}", name)
    expect(expected.length).toBeGreaterThan(4096)
    const parts = await until(() => {
      const found = world.messages(bot, client.id).filter((message) => message.from?.id === bot)
      return found.map((message) => message.text ?? "").join("\n").length >= expected.length
        ? found
        : undefined
    })
    expect(parts.length).toBeGreaterThan(1)
    expect(parts.every((part) => (part.text ?? "").length <= 4096)).toBe(true)
    // Split at a line break or a space, every character of the welcome arrives, in order.
    const words = (text: string) => text.split(/\s+/)
    expect(words(parts.map((part) => part.text).join("\n"))).toEqual(words(expected))

    // The admin's /settings shows that WELCOME with the other settings: too long for one message.
    const asked = world.sendMessage({
      from: running.desk.owner.id,
      chat_id: running.desk.group,
      text: "/settings"
    })
    const answer = await until(() => {
      const found = world
        .messages(running.desk.group, running.desk.owner.id)
        .filter((message) => message.from?.id === bot && message.message_id > asked.message_id)
      return found.some((message) => message.text?.includes("ICON_COLOR") === true) ? found : undefined
    }, 5_000)
    expect(answer.every((part) => (part.text ?? "").length <= 4096)).toBe(true)
    const shown = answer.map((part) => part.text).join("\n")
    expect(shown.length).toBeGreaterThan(4096)
    expect(shown).toContain("rule 1:")
    expect(shown).toContain("rule 97:")
  })
})
