import { describe, expect, it } from "vitest"
import { grammyBot, pollingBot, refusal, sandbox } from "./harness.ts"

const channelSetup = async () => {
  const box = await sandbox()
  const owner = box.world.createUser({ first_name: "Owner" })
  const subscriber = box.world.createUser({ first_name: "Reader" })
  const { user: botUser, token } = box.world.createBot({ username: "channel_bot" })
  const channel = box.world.createChat({
    type: "channel",
    title: "News",
    owner: owner.id,
    members: [subscriber.id],
    admins: [botUser.id]
  })
  return { box, owner, subscriber, botUser, token, channel, api: grammyBot(box, token).api }
}

describe("channels", () => {
  it("an edit of a channel post reaches admin bots as edited_channel_post", async () => {
    const { box, owner, channel, token } = await channelSetup()
    const { next } = await pollingBot(box, token)
    const sent = box.world.sendMessage({ from: owner.id, chat_id: channel.id, text: "Release 1.0" })
    const post = await next("channel_post")
    box.world.edit({
      from: owner.id,
      chat_id: channel.id,
      message_id: sent.message_id,
      text: "Release 1.0.1"
    })
    const edited = await next("edited_channel_post")
    expect(edited.edited_channel_post).toMatchObject({
      message_id: post.channel_post!.message_id,
      text: "Release 1.0.1",
      chat: { id: channel.id, type: "channel", title: "News" },
      sender_chat: { id: channel.id },
      edit_date: expect.any(Number) as unknown
    })
    expect(edited.edited_channel_post).not.toHaveProperty("from")
    expect(edited).not.toHaveProperty("edited_message")
  })

  it("an admin bot posts in a channel and edits its own post and the owner's", async () => {
    const { box, owner, channel, api } = await channelSetup()
    const own = await api.sendMessage(channel.id, "Hello, readers")
    expect(own).toMatchObject({ chat: { id: channel.id, type: "channel" }, sender_chat: { id: channel.id } })
    expect(own).not.toHaveProperty("from")
    const edited = await api.editMessageText(channel.id, own.message_id, "Hello, dear readers")
    expect(edited).toMatchObject({ text: "Hello, dear readers", edit_date: expect.any(Number) as unknown })
    const ownersPost = box.world.sendMessage({ from: owner.id, chat_id: channel.id, text: "Sale today" })
    await api.editMessageText(channel.id, ownersPost.message_id, "Sale today and tomorrow")
    expect(box.world.messages(channel.id, owner.id).map((m) => m.text)).toEqual([
      "Hello, dear readers",
      "Sale today and tomorrow"
    ])
    const member = await api.getChatMember(channel.id, (await api.getMe()).id)
    expect(member).toMatchObject({
      status: "administrator",
      can_post_messages: true,
      can_edit_messages: true
    })
  })

  it("a subscriber cannot post in a channel", async () => {
    const { box, subscriber, channel } = await channelSetup()
    expect(
      refusal(() => box.world.sendMessage({ from: subscriber.id, chat_id: channel.id, text: "me too" }))
    ).toMatchObject({ status: 403, field: "chat_id" })
    expect(box.world.messages(channel.id, subscriber.id)).toEqual([])
  })
})
