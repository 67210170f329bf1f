import { describe, expect, it } from "vitest"
import { eventually, useDemo, type Demo, type SeenMessage } from "../../support/Demo.ts"

// A 1×1 PNG: enough for the sandbox to store a photo.
const png = {
  file_name: "dot.png",
  base64: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
}

describe("the inbox relays albums, replies, edits and reactions, and survives a deleted topic", () => {
  let demo: Demo
  useDemo((started) => (demo = started))

  /** The client's dialog topic, once the first message opened it. */
  const openDialog = async (client: { id: number; name: string }, text: string) => {
    await demo.clientSays(client.id, text)
    return demo.topicNamed(`🔴 ${client.name}`)
  }

  const inTopic = (thread: number, count: number) =>
    eventually(async () => {
      const found = await demo.topicMessages(demo.operators[0]!.id, thread)
      return found.length >= count ? found : undefined
    })

  it("an album arrives in the topic as one album, after the card", async () => {
    const client = demo.clients[0]!
    const topic = await openDialog(client, "Two photos of the damage:")
    await demo.clientSays(client.id, "", { text: undefined, photo: png, media_group_id: "damage" })
    await demo.clientSays(client.id, "", {
      text: undefined,
      photo: png,
      media_group_id: "damage",
      caption: "box"
    })
    const seen = await inTopic(topic.message_thread_id, 4)
    const album = seen.slice(2)
    expect(album.map((message) => message.photo !== undefined)).toEqual([true, true])
    expect(album[0]?.media_group_id).toBeDefined()
    expect(album[1]?.media_group_id).toBe(album[0]?.media_group_id)
    expect(album[1]?.caption).toBe("box")
  })

  it("replies keep their mapping, edits are made in place, reactions are mirrored, both ways", async () => {
    const client = demo.clients[1]!
    const operator = demo.operators[0]!
    const topic = await openDialog(client, "Is the order shipped?")
    const thread = topic.message_thread_id
    const [, question] = await inTopic(thread, 2)
    // The operator replies to the client's message in the topic.
    const answer = await demo.teamSays(operator.id, thread, "Yes, this morning", {
      reply_to_message_id: question!.message_id
    })
    const received = await eventually(async () => {
      const chat = await demo.privateChat(client.id)
      return chat.find((message) => message.text === "Yes, this morning")
    })
    expect(received.reply_to_message?.text).toBe("Is the order shipped?")

    // The client replies to that answer: the copy in the topic replies to the operator's message.
    await demo.clientSays(client.id, "Great, thanks", { reply_to_message_id: received.message_id })
    const thanks = await eventually(async () =>
      (await demo.topicMessages(operator.id, thread)).find((message) => message.text === "Great, thanks")
    )
    expect(thanks.reply_to_message?.message_id).toBe(answer.message_id)

    // Edits, both ways, in place.
    const clientOriginal = (await demo.privateChat(client.id)).find((m) => m.text === "Great, thanks")!
    await demo.post("/edits", {
      from: client.id,
      chat_id: demo.bot,
      message_id: clientOriginal.message_id,
      text: "Great, thank you!"
    })
    await eventually(async () =>
      (await demo.topicMessages(operator.id, thread)).find(
        (message) => message.message_id === thanks.message_id && message.text === "Great, thank you!"
      )
    )
    await demo.post("/edits", {
      from: operator.id,
      chat_id: demo.group,
      message_id: answer.message_id,
      text: "Yes, at 9:00"
    })
    await eventually(async () =>
      (await demo.privateChat(client.id)).find(
        (message: SeenMessage) =>
          message.message_id === received.message_id && message.text === "Yes, at 9:00"
      )
    )

    // The client's 👍 on the answer shows on the operator's message.
    await demo.post("/reactions", {
      from: client.id,
      chat_id: demo.bot,
      message_id: received.message_id,
      reaction: ["👍"]
    })
    const reactions = await eventually(async () => {
      const response = await fetch(
        `${demo.apiRoot}/sandbox/v1/chats/${demo.group}/messages/${answer.message_id}/reactions?as=${operator.id}`
      )
      const found = (await response.json()) as Array<{ user_id: number; reaction: Array<{ emoji?: string }> }>
      return found.length > 0 ? found : undefined
    })
    expect(reactions).toEqual([{ user_id: demo.bot, reaction: [{ type: "emoji", emoji: "👍" }] }])
  })

  it("a topic deleted by hand: the client's next message opens a new one with the card and a note", async () => {
    const client = demo.clients[2]!
    const first = await openDialog(client, "Hello")
    await inTopic(first.message_thread_id, 2)
    await demo.post(`/chats/${demo.group}/topics/${first.message_thread_id}/delete`, { from: demo.admin.id })
    await demo.clientSays(client.id, "Are you there?")
    const second = await eventually(async () =>
      (await demo.topics()).find(
        (topic) => topic.name === `🔴 ${client.name}` && topic.message_thread_id !== first.message_thread_id
      )
    )
    const seen = await inTopic(second.message_thread_id, 2)
    expect(seen[0]?.text).toMatch(/previous topic of this dialog was deleted/)
    expect(seen[1]?.text).toBe("Are you there?")
  })
})
