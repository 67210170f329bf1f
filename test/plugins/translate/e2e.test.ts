import { afterAll, describe, expect, it } from "vitest"
import { eventually, useDemo, type Demo } from "../../support/Demo.ts"
import { startLibreTranslateServer } from "../../support/LibreTranslateServer.ts"

// Started before Backline, whose plugins.json points the plugin at it.
const libre = await startLibreTranslateServer(
  {
    "Wo ist meine Bestellung?": { language: "de", en: "Where is my order?" },
    "Der Kunde wartet seit Montag.": { language: "de", en: "The client has been waiting since Monday." }
  },
  { apiKey: "lt-demo" }
)

describe("translate, end to end: /tr and auto mode on the sandbox demo", () => {
  let demo: Demo
  useDemo((started) => (demo = started), {
    plugins: [{ id: "translate", config: { url: libre.url, apiKey: "lt-demo", auto: true } }]
  })
  afterAll(() => libre.close())

  const GENERAL = 1
  const translations = async (thread: number) =>
    (await demo.topicMessages(demo.admin.id, thread)).filter(
      (message) => message.from?.id === demo.bot && message.text?.startsWith("🌐") === true
    )

  it("a client's German message gets its English translation below it in the topic", async () => {
    const client = demo.clients[0]!
    await demo.clientSays(client.id, "Wo ist meine Bestellung?")
    const topic = await demo.topicNamed(`🔴 ${client.name}`)
    const [translation] = await eventually(async () => {
      const found = await translations(topic.message_thread_id)
      return found.length > 0 ? found : undefined
    })
    expect(translation!.text).toBe("🌐 Translation (de → en):\nWhere is my order?")
    const original = (await demo.topicMessages(demo.admin.id, topic.message_thread_id)).find(
      (message) => message.message_id === translation!.reply_to_message?.message_id
    )
    expect(original?.text).toBe("Wo ist meine Bestellung?")
    // The client sees none of it.
    const seen = await demo.privateChat(client.id)
    expect(seen.filter((message) => message.text?.startsWith("🌐") === true)).toEqual([])
  }, 90_000)

  it("/tr en as a reply to a client's message in its dialog topic answers there; the client sees none of it", async () => {
    const client = demo.clients[0]!
    const thread = (await demo.topicNamed(`🔴 ${client.name}`)).message_thread_id
    const copy = await eventually(async () =>
      (await demo.topicMessages(demo.admin.id, thread)).find(
        (message) => message.text === "Wo ist meine Bestellung?"
      )
    )
    await demo.teamSays(demo.admin.id, thread, "/tr en", { reply_to_message_id: copy.message_id })
    const answer = await eventually(async () =>
      (await translations(thread)).find((message) => message.text?.startsWith("🌐 de → en") === true)
    )
    expect(answer.text).toBe("🌐 de → en:\nWhere is my order?")
    expect(answer.reply_to_message?.message_id).toBe(copy.message_id)
    const seen = await demo.privateChat(client.id)
    // Neither the command nor its answer reaches the client (the dialog keeps commands in the topic).
    expect(
      seen.filter(
        (message) => message.text?.startsWith("/tr") === true || message.text?.startsWith("🌐") === true
      )
    ).toEqual([])
  }, 90_000)

  it("/tr en as a reply translates that message; a failing service is noted once", async () => {
    const oleg = demo.operators[0]!.id
    const original = await demo.post("/messages", {
      from: oleg,
      chat_id: demo.group,
      text: "Der Kunde wartet seit Montag."
    })
    const ask = () =>
      demo.post("/messages", {
        from: demo.admin.id,
        chat_id: demo.group,
        text: "/tr en",
        reply_to_message_id: original.message_id
      })
    await ask()
    const [translation] = await eventually(async () => {
      const found = await translations(GENERAL)
      return found.length > 0 ? found : undefined
    })
    expect(translation!.text).toBe("🌐 de → en:\nThe client has been waiting since Monday.")
    expect(translation!.reply_to_message?.message_id).toBe(original.message_id)

    libre.failWith({ status: 503, error: "Too many requests" })
    await ask()
    const note = await eventually(async () =>
      (await demo.topicMessages(demo.admin.id, GENERAL)).find((message) =>
        message.text?.startsWith("⚠️ Not translated") === true ? message : undefined
      )
    )
    expect(note.text).toBe(`⚠️ Not translated: ${libre.url}/translate: HTTP 503: Too many requests`)
    libre.failWith(undefined)
  }, 90_000)
})
