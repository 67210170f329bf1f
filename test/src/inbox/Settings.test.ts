import { describe, expect, it } from "vitest"
import { eventually, useDemo, type Demo } from "../../support/Demo.ts"

describe("inbox settings, /new and /ban, as the team uses them", () => {
  let demo: Demo
  useDemo((started) => (demo = started))

  /** Writes in General and answers the bot's reply to it. */
  const inGeneral = async (from: number, text: string) => {
    const sent = await demo.post("/messages", { from, chat_id: demo.group, text })
    return eventually(async () => {
      const general = await demo.topicMessages(demo.admin.id, 1)
      return general.find((message) => message.reply_to_message?.message_id === sent.message_id)?.text
    })
  }

  it("/settings shows them; /set changes one for admins only, refusing bad values; the dialogs apply it", async () => {
    const operator = demo.operators[0]!
    expect(await inGeneral(operator.id, "/set WELCOME OFF")).toBe(
      "Only the group's admins can change the inbox settings."
    )
    const shown = await inGeneral(demo.admin.id, "/settings")
    expect(shown).toMatch(/^Settings of bot:\d+:\nWELCOME: default\nAUTOCLOSE: default\n/)
    expect(await inGeneral(demo.admin.id, "/set AUTOCLOSE soon")).toBe(
      'Not changed: AUTOCLOSE is a number of hours (0 = never), such as 48, not "soon".'
    )
    expect(await inGeneral(demo.admin.id, "/set COLOUR red")).toMatch(
      /^Usage: \/set <NAME> <value>\. The settings are WELCOME/
    )
    expect(await inGeneral(demo.admin.id, "/set WELCOME OFF")).toMatch(/^WELCOME is now OFF for bot:\d+\.$/)
    expect(await inGeneral(demo.admin.id, "/set RESTRICTED_KEYWORDS_FRONTEND casino")).toMatch(
      /is now casino/
    )
    expect(await inGeneral(demo.admin.id, "/settings")).toMatch(/\nWELCOME: OFF\n/)

    // A new client: no welcome; a restricted word keeps a message out and the client is told.
    const client = demo.clients[0]!
    await demo.clientSays(client.id, "Hello")
    const topic = await demo.topicNamed(`🔴 ${client.name}`)
    await demo.clientSays(client.id, "Try our CASINO")
    const told = await eventually(async () =>
      (await demo.privateChat(client.id)).find((message) =>
        message.text?.startsWith("Your message was not delivered")
      )
    )
    expect(told.reply_to_message?.text).toBe("Try our CASINO")
    const chat = await demo.privateChat(client.id)
    expect(chat.filter((message) => message.text?.startsWith("Hello,"))).toEqual([])
    const inTopic = await demo.topicMessages(demo.admin.id, topic.message_thread_id)
    expect(inTopic.map((message) => message.text)).not.toContain("Try our CASINO")
  })

  it("/new opens the topic of a client who started the bot; the team's first message reaches them", async () => {
    const client = demo.clients[1]!
    // A bare /start opens no topic, but the client has now started the bot.
    await demo.clientSays(client.id, "/start")
    expect(await inGeneral(demo.operators[0]!.id, `/new ${client.id}`)).toBe(
      "Only the group's admins can open topics with /new."
    )
    expect(await inGeneral(demo.admin.id, `/new ${client.id}`)).toBe(
      `Opening the topic of ${client.id}; write there to reach them.`
    )
    const topic = await demo.topicNamed(`🔴 ${client.name}`)
    // The team writes once the topic shows the client's card, as people do: a message written in the
    // milliseconds between Telegram creating the topic and Backline learning its id reaches no dialog.
    await eventually(async () =>
      (await demo.topicMessages(demo.admin.id, topic.message_thread_id)).find((message) =>
        message.text?.includes(client.name)
      )
    )
    await demo.teamSays(demo.operators[0]!.id, topic.message_thread_id, "Hello from the team")
    await eventually(async () =>
      (await demo.privateChat(client.id)).find((message) => message.text === "Hello from the team")
    )
  })

  it("/ban by an admin keeps the client out (IGNORE_CHATS) until /unban; others are refused", async () => {
    const client = demo.clients[2]!
    await demo.clientSays(client.id, "Hi")
    const topic = await demo.topicNamed(`🔴 ${client.name}`)
    const thread = topic.message_thread_id
    const note = (text: string) =>
      eventually(async () =>
        (await demo.topicMessages(demo.admin.id, thread)).find((message) => message.text?.startsWith(text))
      )
    await demo.teamSays(demo.operators[0]!.id, thread, "/ban")
    await note("Only admins who may ban users can use /ban.")
    await demo.teamSays(demo.admin.id, thread, "/ban")
    await note("🚫 The client is banned")
    await eventually(async () =>
      (await inGeneral(demo.admin.id, "/settings"))?.includes(`IGNORE_CHATS: 777000 ${client.id}`)
        ? true
        : undefined
    )
    await demo.clientSays(client.id, "Let me in")
    await demo.teamSays(demo.admin.id, thread, "/unban")
    await note("✅ The client is no longer banned")
    await eventually(async () =>
      (await inGeneral(demo.admin.id, "/settings"))?.includes("IGNORE_CHATS: 777000\n") ? true : undefined
    )
    await demo.clientSays(client.id, "Thanks")
    await eventually(async () =>
      (await demo.topicMessages(demo.admin.id, thread)).find((message) => message.text === "Thanks")
    )
    const texts = (await demo.topicMessages(demo.admin.id, thread)).map((message) => message.text)
    expect(texts).not.toContain("Let me in")
  })
})
