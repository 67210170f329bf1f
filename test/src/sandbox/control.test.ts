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
