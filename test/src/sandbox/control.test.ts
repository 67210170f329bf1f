import type { Chat, Message, User } from "grammy/types"
import { describe, expect, it } from "vitest"
import type { TopicView } from "../../../src/sandbox/ControlInput.ts"
import { grammyBot, png, sandbox } from "./harness.ts"

const call = async <T>(
  base: string,
  path: string,
  body?: unknown,
  method = body === undefined ? "GET" : "POST"
) => {
  const response = await fetch(`${base}${path}`, {
    method,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {})
  })
  return { status: response.status, body: (await response.json()) as T }
}

describe("control API over HTTP", () => {
  it("builds a workspace, writes as users and reads what each user sees", async () => {
    const box = await sandbox()
    const owner = (await call<User>(box.url, "/users", { first_name: "Olivia", username: "olivia" })).body
    const client = (await call<User>(box.url, "/users", { first_name: "Carl", language_code: "en" })).body
    expect(client).toEqual({ id: client.id, is_bot: false, first_name: "Carl", language_code: "en" })
    const bot = (
      await call<{ user: User; token: string }>(box.url, "/bots", {
        username: "desk_bot",
        first_name: "Desk"
      })
    ).body
    expect(bot.user).toMatchObject({ is_bot: true, username: "desk_bot", first_name: "Desk" })
    const group = (
      await call<Chat>(box.url, "/chats", {
        type: "supergroup",
        title: "Desk",
        is_forum: true,
        owner: owner.id,
        admins: [bot.user.id]
      })
    ).body
    expect(group).toMatchObject({ type: "supergroup", title: "Desk", is_forum: true })

    const hello = await call<Message>(box.url, "/messages", {
      from: client.id,
      chat_id: bot.user.id,
      text: "hello"
    })
    expect(hello.body).toMatchObject({ text: "hello", chat: { id: bot.user.id, type: "private" } })
    const photo = await call<Message>(box.url, "/messages", {
      from: client.id,
      chat_id: bot.user.id,
      photo: { base64: png.toString("base64") }
    })
    expect(photo.body.photo?.at(-1)).toMatchObject({ width: 3, height: 2 })

    const api = grammyBot(box, bot.token).api
    const topic = await api.createForumTopic(group.id, "Carl")
    await api.sendMessage(group.id, "card", {
      message_thread_id: topic.message_thread_id,
      reply_markup: { inline_keyboard: [[{ text: "Close", callback_data: "close" }]] }
    })
    const inTopic = await call<Message>(box.url, "/messages", {
      from: owner.id,
      chat_id: group.id,
      message_thread_id: topic.message_thread_id,
      text: "answer"
    })
    expect(inTopic.body).toMatchObject({ message_thread_id: topic.message_thread_id, is_topic_message: true })

    const seen = await call<Array<Message>>(
      box.url,
      `/chats/${group.id}/messages?as=${owner.id}&message_thread_id=${topic.message_thread_id}`
    )
    expect(seen.body.map((m) => m.text ?? m.forum_topic_created?.name)).toEqual(["Carl", "card", "answer"])

    const edit = await call<Message>(box.url, "/edits", {
      from: owner.id,
      chat_id: group.id,
      message_id: inTopic.body.message_id,
      text: "answer!"
    })
    expect(edit.body).toMatchObject({ text: "answer!", edit_date: expect.any(Number) as unknown })
    expect(
      (
        await call(box.url, "/reactions", {
          from: owner.id,
          chat_id: group.id,
          message_id: inTopic.body.message_id,
          reaction: ["👍"]
        })
      ).status
    ).toBe(200)
    const card = seen.body[1]!
    const press = await call<{ callback_query_id: string }>(box.url, "/callbacks", {
      from: owner.id,
      chat_id: group.id,
      message_id: card.message_id,
      data: "close"
    })
    expect(press.body.callback_query_id).toMatch(/^\d+$/)
    const updates = await api.getUpdates({ allowed_updates: ["message", "callback_query"] })
    expect(updates.some((u) => u.callback_query?.data === "close")).toBe(true)

    const topics = await call<Array<TopicView>>(box.url, `/chats/${group.id}/topics`)
    expect(topics.body).toEqual([
      {
        message_thread_id: topic.message_thread_id,
        name: "Carl",
        icon_color: topic.icon_color,
        is_closed: false
      }
    ])
    expect(
      (await call(box.url, `/chats/${group.id}/topics/${topic.message_thread_id}/delete`, {})).status
    ).toBe(200)
    expect((await call<Array<TopicView>>(box.url, `/chats/${group.id}/topics`)).body).toEqual([])
    await expect(
      api.sendMessage(group.id, "late", { message_thread_id: topic.message_thread_id })
    ).rejects.toMatchObject({
      description: "Bad Request: message thread not found"
    })

    expect((await call(box.url, "/faults", { method: "getMe", error_code: 500, count: 1 })).status).toBe(200)
    await expect(api.getMe()).rejects.toMatchObject({ error_code: 500 })
    expect((await call(box.url, "/limits", { enabled: true })).body).toMatchObject({ enabled: true })
  })

  it("users send audio, video notes, GIFs, locations, contacts and formatted text; a bot's copy keeps the kind", async () => {
    const box = await sandbox()
    const client = box.world.createUser({ first_name: "Carl" })
    const bot = box.world.createBot({ username: "kinds_bot" })
    const api = grammyBot(box, bot.token).api
    const file = (file_name: string) => ({ file_name, base64: Buffer.from(file_name).toString("base64") })
    const bold = { type: "bold", offset: 0, length: 4 }
    const link = { type: "text_link", offset: 5, length: 4, url: "https://example.com/" }
    const sent: Array<Record<string, unknown>> = [
      { text: "Bold link", entities: [bold, link] },
      {
        audio: file("song.mp3"),
        caption: "a song",
        caption_entities: [{ type: "italic", offset: 2, length: 4 }]
      },
      { video_note: file("circle.mp4") },
      { animation: file("cat.gif.mp4"), text: "a cat" },
      { location: { latitude: 52.52, longitude: 13.405 } },
      { contact: { phone_number: "+491701234567", first_name: "Eva", last_name: "Berg" } }
    ]
    const posted: Array<Message> = []
    for (const body of sent)
      posted.push(
        (await call<Message>(box.url, "/messages", { from: client.id, chat_id: bot.user.id, ...body })).body
      )
    const updates = await api.getUpdates()
    const received = updates.map((update) => update.message!)
    expect(received.map((message) => message.message_id)).toEqual(posted.map((message) => message.message_id))
    const [text, audio, videoNote, animation, location, contact] = received
    expect(text).toMatchObject({ text: "Bold link", entities: [bold, link] })
    expect(audio).toMatchObject({
      audio: { file_name: "song.mp3", mime_type: "audio/mpeg" },
      caption: "a song",
      caption_entities: [{ type: "italic", offset: 2, length: 4 }]
    })
    expect(videoNote?.video_note).toMatchObject({ length: 240, duration: 0 })
    expect(videoNote?.video_note).not.toHaveProperty("file_name")
    expect(animation).toMatchObject({
      animation: { file_name: "cat.gif.mp4" },
      document: {},
      caption: "a cat"
    })
    expect(location?.location).toEqual({ latitude: 52.52, longitude: 13.405 })
    expect(contact?.contact).toEqual({ phone_number: "+491701234567", first_name: "Eva", last_name: "Berg" })

    // The bot copies each back to the user: the same kind, the same text, caption and formatting.
    for (const message of received) await api.copyMessage(client.id, client.id, message.message_id)
    const chat = box.world.messages(bot.user.id, client.id).slice(sent.length)
    const kindOf = (message: Message) =>
      ["text", "audio", "video_note", "animation", "location", "contact"].find((kind) => kind in message)
    expect(chat.map(kindOf)).toEqual(["text", "audio", "video_note", "animation", "location", "contact"])
    expect(chat[0]).toMatchObject({ text: "Bold link", entities: [bold, link] })
    expect(chat[1]).toMatchObject({
      caption: "a song",
      caption_entities: [{ type: "italic", offset: 2, length: 4 }]
    })
    expect(chat[4]?.location).toEqual(location?.location)
    expect(chat[5]?.contact).toEqual(contact?.contact)

    const refused: Array<[Record<string, unknown>, string]> = [
      [{ text: "Bold", entities: [{ type: "bold", offset: 2, length: 9 }] }, "entities[0]"],
      [{ video_note: file("c.mp4"), caption: "no" }, "caption"],
      [{ location: { latitude: 91, longitude: 0 } }, "location.latitude"],
      [{ contact: { phone_number: "+1" } }, "contact.first_name"],
      [{ contact: { phone_number: "+1", first_name: "A" }, audio: file("a.mp3") }, "contact"]
    ]
    for (const [body, field] of refused) {
      const answer = await call<{ field: string }>(box.url, "/messages", {
        from: client.id,
        chat_id: bot.user.id,
        ...body
      })
      expect([answer.status, answer.body.field]).toEqual([400, field])
    }
  })

  it("answers 4xx naming the bad field", async () => {
    const box = await sandbox()
    const user = box.world.createUser({ first_name: "U" })
    const cases: Array<[string, unknown, number, string]> = [
      ["/users", {}, 400, "first_name"],
      ["/bots", { username: "helper" }, 400, "username"],
      ["/chats", { type: "supergroup", title: "T", owner: 42 }, 404, "owner"],
      ["/chats", { type: "forum", title: "T", owner: user.id }, 400, "type"],
      ["/messages", { from: user.id, chat_id: 123, text: "x" }, 404, "chat_id"],
      ["/messages", { from: "me", chat_id: 123, text: "x" }, 400, "from"],
      ["/faults", { method: "sendMessage", count: 1 }, 400, "error_code"],
      ["/limits", { enabled: "yes" }, 400, "enabled"]
    ]
    for (const [path, body, status, field] of cases) {
      const answer = await call<{ error: string; field: string }>(box.url, path, body)
      expect([path, answer.status, answer.body.field]).toEqual([path, status, field])
      expect(answer.body.error.length).toBeGreaterThan(0)
    }
    const notJson = await fetch(`${box.url}/users`, { method: "POST", body: "{" })
    expect(await notJson.json()).toEqual({ error: "the body is not valid JSON", field: "body" })
    expect((await call(box.url, "/nowhere")).status).toBe(404)
  })
})
