import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  startChatCompletionsServer,
  type ChatCompletionsServer
} from "../../support/ChatCompletionsServer.ts"
import { eventually, useDemo, type Demo, type SeenMessage } from "../../support/Demo.ts"

describe("assist, end to end: /draft and /fix in a client's topic, with a local chat-completions server", () => {
  let server: ChatCompletionsServer
  // The server's URL is known only once it listens: useDemo writes plugins.json after this hook ran.
  const assist = { id: "assist", config: { url: "", apiKey: "sk-e2e", model: "e2e-model" } }
  beforeAll(async () => {
    server = await startChatCompletionsServer((request) => {
      const last = request.messages.at(-1)?.content ?? ""
      return {
        text: request.messages[0]?.content.startsWith("Correct")
          ? "I have a question."
          : `About "${last}": yes, it ships today.`
      }
    })
    assist.config.url = server.url
  })
  afterAll(() => server.close())
  let demo: Demo
  useDemo((started) => (demo = started), { plugins: [assist, { id: "knowledge-base" }] })

  const operator = () => demo.operators[0]!.id
  const topicOf = async (client: { id: number; name: string }, text: string) => {
    await demo.clientSays(client.id, text)
    const topic = await eventually(async () =>
      (await demo.topics()).find((candidate) => candidate.name.endsWith(client.name))
    )
    await eventually(async () =>
      (await demo.topicMessages(operator(), topic.message_thread_id)).find((message) => message.text === text)
    )
    return topic.message_thread_id
  }
  const botMessage = (thread: number, test: (message: SeenMessage) => boolean) =>
    eventually(async () =>
      (await demo.topicMessages(operator(), thread)).find(
        (message) => message.from?.id === demo.bot && test(message)
      )
    )

  it("/draft proposes an answer from the dialog and the knowledge base; Send answers the client through the dialog", async () => {
    // The knowledge base of the group holds one entry about shipping.
    const kb = (
      await demo.post<{ message_thread_id: number }>(`/chats/${demo.group}/topics`, {
        from: demo.admin.id,
        name: "Knowledge base"
      })
    ).message_thread_id
    await demo.teamSays(demo.admin.id, kb, "/kb here")
    await botMessage(kb, (message) => message.text?.includes("now the knowledge base") === true)
    const entry = await demo.teamSays(operator(), kb, "Shipping times\nOrders ship within 2 days #shipping")
    await demo.teamSays(operator(), kb, "/kb #shipping")
    await botMessage(kb, (message) => message.text?.includes("Shipping times") === true)

    const client = demo.clients[0]!
    const thread = await topicOf(client, "Does my order ship today?")
    const command = await demo.teamSays(operator(), thread, "/draft")
    const draft = await botMessage(thread, (message) => message.text?.startsWith("📝 Draft answer") === true)
    expect(draft.text).toBe(
      '📝 Draft answer (not sent yet)\n\nAbout "Does my order ship today?": yes, it ships today.'
    )
    expect(draft.reply_to_message?.message_id).toBe(command.message_id)
    const buttons = draft.reply_markup?.inline_keyboard?.[0] ?? []
    expect(buttons.map((button) => button.text)).toEqual(["Send", "Edit", "Discard"])
    expect(server.requests.at(-1)).toMatchObject({
      authorization: "Bearer sk-e2e",
      model: "e2e-model",
      messages: [
        { role: "system" },
        { role: "system" },
        { role: "user", content: "Does my order ship today?" }
      ]
    })
    // The entry, with its title and link, went with the prompt.
    const link = `https://t.me/c/${String(demo.group).slice(4)}/${kb}/${entry.message_id}`
    const knowledge = server.requests.at(-1)?.messages[1]?.content
    expect(knowledge).toContain(`1. Shipping times (${link})\n`)
    expect(knowledge).toContain("Orders ship within 2 days")
    // The draft is the team's only: the client has not seen it, nor the command.
    const before = await demo.privateChat(client.id)
    expect(before.some((message) => message.text?.includes("ships today"))).toBe(false)
    expect(before.some((message) => message.text === "/draft")).toBe(false)

    await demo.post("/callbacks", {
      from: operator(),
      chat_id: demo.group,
      message_id: draft.message_id,
      data: buttons[0]!.callback_data
    })
    const delivered = await eventually(async () =>
      (await demo.privateChat(client.id)).find(
        (message) => message.from?.id === demo.bot && message.text?.includes("ships today") === true
      )
    )
    expect(delivered.text).toBe('About "Does my order ship today?": yes, it ships today.')
    await botMessage(thread, (message) => message.text?.startsWith("✅ Sent to the client by") === true)
    // As an operator's answer: the topic shows the dialog answered (🟢), the answer is in the topic
    // (replying to the draft), and the client's reply to it comes back as a reply to it there.
    await eventually(async () =>
      (await demo.topics()).find(
        (topic) => topic.message_thread_id === thread && topic.name === `🟢 ${client.name}`
      )
    )
    const answer = await botMessage(
      thread,
      (message) =>
        message.text === delivered.text && message.reply_to_message?.message_id === draft.message_id
    )
    await demo.clientSays(client.id, "Great, thanks", { reply_to_message_id: delivered.message_id })
    const reply = await eventually(async () =>
      (await demo.topicMessages(operator(), thread)).find((message) => message.text === "Great, thanks")
    )
    expect(reply.reply_to_message?.message_id).toBe(answer.message_id)
  })

  it("/fix shows the corrected text with Send and Discard; Discard removes it and nothing reaches the client", async () => {
    const client = demo.clients[1]!
    const thread = await topicOf(client, "Hello?")
    await demo.teamSays(operator(), thread, "/fix i has a question")
    const fixed = await botMessage(thread, (message) => message.text?.startsWith("✏️ Corrected") === true)
    expect(fixed.text).toBe("✏️ Corrected (not sent yet)\n\nI have a question.")
    const buttons = fixed.reply_markup?.inline_keyboard?.[0] ?? []
    expect(buttons.map((button) => button.text)).toEqual(["Send", "Discard"])
    await demo.post("/callbacks", {
      from: operator(),
      chat_id: demo.group,
      message_id: fixed.message_id,
      data: buttons[1]!.callback_data
    })
    await eventually(async () =>
      (await demo.topicMessages(operator(), thread)).some(
        (message) => message.message_id === fixed.message_id
      )
        ? undefined
        : true
    )
    const seen = await demo.privateChat(client.id)
    expect(seen.some((message) => message.text?.includes("question"))).toBe(false)
  })

  it("where it is disabled nothing of the dialog is kept or sent; enabled later, /draft has nothing to draft from", async () => {
    const requests = server.requests.length
    await demo.post("/messages", { from: demo.admin.id, chat_id: demo.group, text: "/plugin disable assist" })
    await botMessage(1, (message) => message.text === "assist is now off in this group.")
    const client = demo.clients[2] ?? demo.clients[0]!
    const thread = await topicOf(client, "My card number is 4111 1111 1111 1111")
    await demo.teamSays(operator(), thread, "/draft")
    await demo.teamSays(demo.admin.id, thread, "/plugin enable assist here")
    await botMessage(thread, (message) => message.text === "assist is now on in this topic.")
    await demo.teamSays(operator(), thread, "/draft")
    // The plugin reads the journal in order: this answer comes after the first /draft was passed over.
    await botMessage(thread, (message) => message.text?.startsWith("Nothing to draft from yet") === true)
    expect(server.requests.length).toBe(requests)
    const drafts = (await demo.topicMessages(operator(), thread)).filter((message) =>
      message.text?.startsWith("📝")
    )
    expect(drafts).toEqual([])
  })
})
