import { afterAll, describe, expect, it } from "vitest"
import { eventually, useDemo, type Demo } from "../../support/Demo.ts"
import { startSpeechServer } from "../../support/SpeechServer.ts"
import { voiceOgg } from "./audio.ts"

// Started before Backline, whose plugins.json points the plugin at it.
const stt = await startSpeechServer({ accepts: "wav" }, () => ({
  text: "Hello, my parcel has not arrived yet.",
  language: "english",
  duration: 1.5
}))
const maxBytes = 60_000

describe("transcribe, end to end: a client's voice note on the sandbox demo", () => {
  let demo: Demo
  useDemo((started) => (demo = started), {
    plugins: [{ id: "transcribe", config: { url: stt.url, apiKey: "sk-demo", maxBytes } }]
  })
  afterAll(() => stt.close())

  const clientSends = (client: number, fields: Record<string, unknown>) =>
    demo.post("/messages", { from: client, chat_id: demo.bot, ...fields })
  const voice = (bytes: Buffer) => ({ voice: { base64: bytes.toString("base64") } })

  it("a voice note gets its transcript as a reply in the client's topic; an oversized one and a failing service get one note each", async () => {
    const client = demo.clients[0]!
    await clientSends(client.id, voice(voiceOgg(1.5)))
    const topic = await demo.topicNamed(`🔴 ${client.name}`)
    const admin = demo.admin.id
    const bySystem = async () =>
      (await demo.topicMessages(admin, topic.message_thread_id)).filter(
        (message) => message.from?.id === demo.bot && /^(📝|⚠️)/u.test(message.text ?? "")
      )
    const [transcript] = await eventually(async () => {
      const found = await bySystem()
      return found.length > 0 ? found : undefined
    })
    expect(transcript!.text).toBe(
      "📝 Transcript of the voice message (english, 0:02):\nHello, my parcel has not arrived yet."
    )
    // A reply to the copy of the voice note in the topic.
    const messages = await demo.topicMessages(admin, topic.message_thread_id)
    const copy = messages.find((message) => message.message_id === transcript!.reply_to_message?.message_id)
    expect(copy).toMatchObject({ from: { id: demo.bot } })
    expect((copy as { voice?: unknown }).voice).toBeDefined()
    // The service got WAV (decoded from the OGG/Opus voice note), with the key.
    expect(stt.requests).toHaveLength(1)
    expect(stt.requests[0]).toMatchObject({
      authorization: "Bearer sk-demo",
      responseFormat: "verbose_json",
      file: { isWav: true }
    })

    // Too big for the configured limit: one note, the service is not asked.
    await clientSends(client.id, voice(voiceOgg(30)))
    await eventually(async () => ((await bySystem()).length === 2 ? true : undefined))
    // The service fails: one note, nothing retried.
    stt.respondWith(() => ({ status: 503, error: "overloaded" }))
    await clientSends(client.id, voice(voiceOgg(1)))
    await eventually(async () => ((await bySystem()).length === 3 ? true : undefined))
    const notes = (await bySystem()).slice(1).map((message) => message.text)
    expect(notes[0]).toMatch(
      /^⚠️ The voice message was not transcribed: it has \d+ KB, more than the 59 KB allowed\.$/
    )
    expect(notes[1]).toBe(
      "⚠️ The voice message was not transcribed: the transcription service failed: HTTP 503: overloaded."
    )
    expect(stt.requests).toHaveLength(2)
    // The client saw none of it (sendToClient is off).
    const seen = await demo.privateChat(client.id)
    expect(seen.filter((message) => message.text?.startsWith("📝") === true)).toEqual([])
  }, 90_000)
})
