// Every kind of message crosses the inbox both ways, end to end: `backline start` as a child
// process against a sandbox in this process (its limits off), a client writing to the bot and an
// operator answering in the client's topic; the assertions are on what each of them sees.
import type { Message } from "grammy/types"
import { describe, expect, it } from "vitest"
import type { UserMessage } from "../../../src/sandbox/ControlInput.ts"
import { viewOf } from "../../support/Helpdesk.ts"
import { useHelpdesk } from "../../support/HelpdeskFixture.ts"

// A 1×1 PNG: enough for the sandbox to store a photo.
const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
const file = (file_name: string) => ({
  file_name,
  base64: Buffer.from(`bytes of ${file_name}`).toString("base64")
})

type Content = Omit<UserMessage, "from" | "chat_id" | "message_thread_id">

/** One message of each kind a person can send, with a caption where Telegram allows one. */
const everyKind = (side: string): ReadonlyArray<readonly [string, Content]> => [
  [
    "text",
    {
      text: `${side}: see our terms`,
      entities: [
        { type: "bold", offset: 0, length: side.length },
        { type: "text_link", offset: side.length + 6, length: 9, url: "https://example.com/terms" }
      ]
    }
  ],
  [
    "photo",
    {
      photo: { file_name: "dot.png", base64: png },
      caption: `${side} photo`,
      caption_entities: [{ type: "italic", offset: 0, length: side.length }]
    }
  ],
  ["video", { video: file("clip.mp4"), caption: `${side} video` }],
  ["document", { document: file("invoice.pdf"), caption: `${side} document` }],
  ["voice", { voice: file("note.ogg"), caption: `${side} voice` }],
  ["video_note", { video_note: file("circle.mp4") }],
  ["audio", { audio: file("song.mp3"), caption: `${side} audio` }],
  ["sticker", { sticker: file("smile.webp") }],
  ["animation", { animation: file("cat.mp4"), caption: `${side} GIF` }],
  ["location", { location: { latitude: 52.52, longitude: 13.405 } }],
  ["contact", { contact: { phone_number: "+491701234567", first_name: side } }]
]

// An animation also carries `document`, as in Telegram: it is looked for first.
const kinds = [
  "animation",
  "photo",
  "video",
  "video_note",
  "voice",
  "audio",
  "sticker",
  "document",
  "location",
  "contact",
  "text"
] as const
const kindOf = (message: Message) => kinds.find((kind) => message[kind] !== undefined)

/** What a person sees of a message: its kind, text or caption, formatting, place or contact. */
const shown = (message: Message) => ({
  kind: kindOf(message),
  text: message.text ?? message.caption,
  entities: message.entities ?? message.caption_entities,
  location: message.location,
  contact: message.contact
})

describe("every kind of message crosses the inbox, both ways", () => {
  const running = useHelpdesk({ bot: "media_desk_bot", title: "Media desk", operators: ["Oleg"] })

  it("a client's text, photo, video, document, voice, video note, audio, sticker, GIF, location and contact reach the topic as the same kinds, and the operator's reach the client", async () => {
    const world = running.sandbox.world
    const view = viewOf(world)
    const bot = running.desk.bot.user.id
    const operator = running.desk.operators[0]!
    const client = world.createUser({ first_name: "Mia" })

    const fromClient = everyKind("Client")
    const sent = fromClient.map(([, content]) =>
      world.sendMessage({ from: client.id, chat_id: bot, ...content })
    )
    const topic = await view.topicNamed(running.desk.group, "🔴 Mia")
    const thread = topic.message_thread_id
    const [card, ...copies] = await view.topicHolding(
      running.desk.group,
      operator.id,
      thread,
      fromClient.length + 1
    )
    expect(card?.text).toMatch(/^👤 Mia\n/)
    expect(copies.map(kindOf)).toEqual(fromClient.map(([kind]) => kind))
    expect(copies.map(shown)).toEqual(sent.map(shown))
    expect(copies.every((copy) => copy.from?.id === bot)).toBe(true)

    const fromTeam = everyKind("Team")
    const answers = fromTeam.map(([, content]) =>
      world.sendMessage({
        from: operator.id,
        chat_id: running.desk.group,
        message_thread_id: thread,
        ...content
      })
    )
    // The client sees the welcome, then the operator's messages, each sent by the bot.
    const [welcome, ...received] = await view.fromBot(bot, client.id, fromTeam.length + 1)
    expect(welcome?.text).toMatch(/^Hello, Mia!/)
    expect(received.map(kindOf)).toEqual(fromTeam.map(([kind]) => kind))
    expect(received.map(shown)).toEqual(answers.map(shown))
  })
})
