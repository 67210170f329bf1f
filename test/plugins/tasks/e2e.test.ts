import { describe, expect, it } from "vitest"
import { eventually, useDemo, type Demo, type SeenMessage } from "../../support/Demo.ts"

const GENERAL = 1

describe("tasks, end to end: backline start with { id: tasks } on the sandbox demo", () => {
  let demo: Demo
  /** Each card's link, as the tests make them. */
  const cardLinks: Array<string> = []
  useDemo((started) => (demo = started), { plugins: [{ id: "tasks" }] })

  const dana = () => demo.admin.id
  const oleg = () => demo.operators[0]!
  const internal = () => String(demo.group).replace(/^-100/, "")
  const buttons = (message: SeenMessage) =>
    message.reply_markup?.inline_keyboard?.map((row) => row.map((button) => button.text)) ?? []
  const say = (from: number, thread: number, text: string, extra: Record<string, unknown> = {}) =>
    thread === GENERAL
      ? demo.post("/messages", { from, chat_id: demo.group, text, ...extra })
      : demo.teamSays(from, thread, text, extra)
  /** The bot's message in `thread` whose text passes `test`, once there. */
  const botMessage = (thread: number, test: (text: string) => boolean) =>
    eventually(async () =>
      (await demo.topicMessages(dana(), thread)).find(
        (message) => message.from?.id === demo.bot && test(message.text ?? "")
      )
    )
  /** A user presses a button under a message; answers what Telegram showed them. */
  const press = async (from: number, message: SeenMessage, data: string) => {
    const { callback_query_id } = await demo.post<{ callback_query_id: string }>("/callbacks", {
      from,
      chat_id: demo.group,
      message_id: message.message_id,
      data
    })
    return eventually(async () => {
      const answer = (await (
        await fetch(`${demo.apiRoot}/sandbox/v1/callbacks/${callback_query_id}`)
      ).json()) as {
        answered: boolean
        text?: string
      }
      return answer.answered ? answer.text : undefined
    })
  }
  /** The card `id`, once its text passes `test`. */
  const card = (thread: number, id: number, test: (text: string) => boolean) =>
    botMessage(thread, (text) => text.includes(`Task #${id} ·`) && test(text))

  it("a task card with buttons: Take it, Done and Reopen edit the same card in place", async () => {
    const thread = (
      await demo.post<{ message_thread_id: number }>(`/chats/${demo.group}/topics`, {
        from: dana(),
        name: "Tasks"
      })
    ).message_thread_id
    await say(dana(), thread, "/task Prepare the release notes 2030-01-15 10:00")
    await botMessage(thread, (text) => text.startsWith("A due time is at most a year ahead."))
    await say(dana(), thread, "/task Prepare the release notes tomorrow 10:00")
    const made = await card(thread, 1, (text) => text.includes("· open"))
    expect(made.text).toMatch(
      /^📋 Task #1 · open\nPrepare the release notes\n👤 nobody yet\n⏰ due \w{3} \d{1,2} \w{3} 10:00 UTC\nCreated by Dana$/
    )
    expect(buttons(made)).toEqual([["Take it", "Done"]])

    expect(await press(oleg().id, made, "tasks:take:1")).toBe("Task #1 is yours.")
    const taken = await card(thread, 1, (text) => text.includes("👤 Oleg"))
    expect(buttons(taken)).toEqual([["Done"]])
    expect(await press(dana(), taken, "tasks:done:1")).toBe("Task #1 is done.")
    const done = await card(thread, 1, (text) => text.includes("· done"))
    expect(done.text).toContain("Done by Dana")
    expect(buttons(done)).toEqual([["Reopen"]])
    expect(await press(oleg().id, done, "tasks:reopen:1")).toBe("Task #1 is open again.")
    const reopened = await card(thread, 1, (text) => text.includes("· open") && text.includes("👤 Oleg"))
    expect(buttons(reopened)).toEqual([["Done"]])

    // One card all along, edited in place.
    expect([taken, done, reopened].map((message) => message.message_id)).toEqual([
      made.message_id,
      made.message_id,
      made.message_id
    ])
    expect(reopened.edit_date).toBeDefined()
    cardLinks.push(`https://t.me/c/${internal()}/${thread}/${made.message_id}`)
    const cards = (await demo.topicMessages(dana(), thread)).filter((message) =>
      message.text?.includes("Task #")
    )
    expect(cards).toHaveLength(1)
  }, 90_000)

  it("a task made in reply to a client's message in a dialog topic links back to it; the client sees nothing", async () => {
    const alice = demo.clients[0]!
    await demo.clientSays(alice.id, "My parcel never arrived")
    const thread = (await demo.topicNamed(`🔴 ${alice.name}`)).message_thread_id
    const question = await eventually(async () =>
      (await demo.topicMessages(oleg().id, thread)).find(
        (message) => message.text === "My parcel never arrived"
      )
    )
    await say(oleg().id, thread, "/task Chase the courier @oleg_operator", {
      reply_to_message_id: question.message_id
    })
    const made = await card(thread, 2, (text) => text.includes("Chase the courier"))
    expect(made.text).toContain("👤 @oleg_operator\n↩️ “My parcel never arrived”\nCreated by Oleg")
    const link = made.entities?.find((entity) => entity.type === "text_link") as { url?: string } | undefined
    expect(link?.url).toBe(`https://t.me/c/${internal()}/${thread}/${question.message_id}`)
    expect(buttons(made)).toEqual([["Done"]])
    cardLinks.push(`https://t.me/c/${internal()}/${thread}/${made.message_id}`)
    const chat = await demo.privateChat(alice.id)
    expect(chat.map((message) => message.text)).not.toContain("/task Chase the courier @oleg_operator")
    expect(chat.some((message) => message.text?.includes("Task #") === true)).toBe(false)
  }, 90_000)

  it("/tasks mine lists the open tasks of whoever asks, linked to their cards", async () => {
    await say(oleg().id, GENERAL, "/tasks mine")
    const mine = await botMessage(GENERAL, (text) => text.startsWith("Your open tasks"))
    expect(mine.text).toMatch(
      /^Your open tasks \(2\):\n• #1 Prepare the release notes — Oleg, due .+ 10:00 UTC\n• #2 Chase the courier — @oleg_operator$/
    )
    const links = (mine.entities ?? [])
      .filter((entity) => entity.type === "text_link")
      .map((entity) => (entity as { readonly url?: string }).url)
    expect(links).toEqual(cardLinks)
    await say(dana(), GENERAL, "/tasks mine")
    await botMessage(GENERAL, (text) => text === "Your open tasks: none.")
    await say(dana(), GENERAL, "/tasks someday")
    await botMessage(GENERAL, (text) => text.startsWith("Usage: /tasks [mine|@user|all]"))
  }, 90_000)
})
