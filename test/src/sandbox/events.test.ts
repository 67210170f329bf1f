import type { User } from "grammy/types"
import { describe, expect, it } from "vitest"
import type { SandboxEvent } from "../../../src/sandbox/Events.ts"
import { demoWorld } from "../../../src/sandbox/Demo.ts"
import { grammyBot, sandbox } from "./harness.ts"

/** Reads `GET /sandbox/v1/events` as a client would: each `data:` line as one event. */
const listen = async (url: string) => {
  const controller = new AbortController()
  const response = await fetch(`${url}/events`, { signal: controller.signal })
  const events: Array<SandboxEvent> = []
  const comments: Array<string> = []
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ""
  const pump = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) return
        buffer += value
        let end: number
        while ((end = buffer.indexOf("\n\n")) !== -1) {
          const frame = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          if (frame.startsWith("data: ")) events.push(JSON.parse(frame.slice(6)) as SandboxEvent)
          else comments.push(frame)
        }
      }
    } catch {
      // aborted by the test
    }
  })()
  const next = async (match: (event: SandboxEvent) => boolean, timeoutMs = 3000) => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = events.find(match)
      if (found !== undefined) return found
      if (Date.now() > deadline) throw new Error(`no such event; got ${JSON.stringify(events)}`)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }
  return {
    response,
    events,
    comments,
    next,
    close: async () => {
      controller.abort()
      await pump
    }
  }
}

const post = (url: string, path: string, body: unknown) =>
  fetch(`${url}${path}`, { method: "POST", body: JSON.stringify(body) }).then(async (r) => ({
    status: r.status,
    body: (await r.json()) as Record<string, unknown>
  }))

describe("the control API's event stream", () => {
  it("tells of people's messages, edits, reactions, topic changes and bots' calls as they happen", async () => {
    const box = await sandbox()
    const demo = demoWorld(box.world)
    const stream = await listen(box.url)
    expect(stream.response.status).toBe(200)
    expect(stream.response.headers.get("content-type")).toBe("text/event-stream")
    const alice = demo.clients[0]

    const sent = await post(box.url, "/messages", { from: alice.id, chat_id: demo.bot.user.id, text: "Hi" })
    expect(sent.status).toBe(200)
    // In a private chat the event names the chat as the bot does: by the person's id.
    expect(await stream.next((e) => e.type === "message")).toEqual({
      type: "message",
      chat_id: alice.id,
      message_id: sent.body["message_id"]
    })

    await post(box.url, "/edits", {
      from: alice.id,
      chat_id: demo.bot.user.id,
      message_id: sent.body["message_id"],
      text: "Hi there"
    })
    await stream.next((e) => e.type === "edit" && e.chat_id === alice.id)
    await post(box.url, "/reactions", {
      from: alice.id,
      chat_id: demo.bot.user.id,
      message_id: sent.body["message_id"],
      reaction: ["👍"]
    })
    await stream.next((e) => e.type === "reaction" && e.message_id === sent.body["message_id"])

    const bot = grammyBot(box, demo.bot.token)
    const topic = await bot.api.createForumTopic(demo.group.id, "Alice")
    await stream.next((e) => e.type === "bot_api" && e.method === "createForumTopic")
    const answer = await bot.api.sendMessage(demo.group.id, "On it", {
      message_thread_id: topic.message_thread_id
    })
    expect(
      await stream.next((e) => e.type === "message" && e.message_id === answer.message_id)
    ).toMatchObject({ chat_id: demo.group.id, message_thread_id: topic.message_thread_id })
    await post(box.url, `/chats/${demo.group.id}/topics/${topic.message_thread_id}/close`, {})
    await stream.next((e) => e.type === "topic" && e.message_thread_id === topic.message_thread_id)

    // Reads are not changes: getMe and getChat add nothing.
    await stream.next((e) => e.type === "bot_api" && e.method === "sendMessage")
    const before = stream.events.length
    await bot.api.getMe()
    await bot.api.getChat(demo.group.id)
    const marker = await post(box.url, "/messages", {
      from: alice.id,
      chat_id: demo.bot.user.id,
      text: "marker"
    })
    await stream.next(
      (e) => e.type === "message" && e.chat_id === alice.id && e.message_id === marker.body["message_id"]
    )
    expect(stream.events.slice(before).map((e) => e.type)).toEqual(["message"])
    await stream.close()
  })

  it("keeps no listener after the client goes, and refuses other verbs", async () => {
    const box = await sandbox()
    const stream = await listen(box.url)
    expect(box.world.events.size).toBe(1)
    await stream.close()
    const deadline = Date.now() + 3000
    while (box.world.events.size > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10))
    expect(box.world.events.size).toBe(0)
    const wrong = await post(box.url, "/events", {})
    expect(wrong.status).toBe(404)
  })

  it("lists the people in the sandbox, without its bots", async () => {
    const box = await sandbox()
    const demo = demoWorld(box.world)
    const people = (await (await fetch(`${box.url}/users`)).json()) as Array<User>
    expect(people.map((user) => user.first_name)).toEqual(["Dana", "Oleg", "Olga", "Alice", "Bob", "Chen"])
    expect(people.some((user) => user.id === demo.bot.user.id)).toBe(false)
  })
})
