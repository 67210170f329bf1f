import { GrammyError } from "grammy"
import { describe, expect, it } from "vitest"
import { forumSetup, grammyBot, pollingBot, refusal } from "./harness.ts"

describe("members", () => {
  it("unbanChatMember of a current member removes them unless only_if_banned, and they may join again", async () => {
    const { box, api, owner, member, group } = await forumSetup()
    expect(await api.unbanChatMember(group.id, member.id, { only_if_banned: true })).toBe(true)
    expect((await api.getChatMember(group.id, member.id)).status).toBe("member")

    expect(await api.unbanChatMember(group.id, member.id)).toBe(true)
    expect(await api.getChatMember(group.id, member.id)).toMatchObject({ status: "left" })
    const lastSeen = box.world.messages(group.id, owner.id).at(-1)
    expect(lastSeen?.left_chat_member).toMatchObject({ id: member.id, first_name: "Mark" })
    expect(
      refusal(() => box.world.sendMessage({ from: member.id, chat_id: group.id, text: "still here?" }))
    ).toMatchObject({ status: 403 })

    // Not banned: they can be added back, which a ban would have prevented.
    box.world.setMember(group.id, { user_id: member.id, status: "member" })
    expect((await api.getChatMember(group.id, member.id)).status).toBe("member")
    expect(box.world.sendMessage({ from: member.id, chat_id: group.id, text: "back" }).text).toBe("back")
  })

  it("a restricted member shows as restricted, admin bots hear of it, and they cannot write", async () => {
    const { box, api, member, group, token } = await forumSetup()
    const { next } = await pollingBot(box, token, () => {}, ["message", "chat_member"])
    box.world.setMember(group.id, { user_id: member.id, status: "restricted" })

    const update = await next("chat_member")
    expect(update.chat_member).toMatchObject({
      chat: { id: group.id },
      old_chat_member: { status: "member", user: { id: member.id } },
      new_chat_member: { status: "restricted", user: { id: member.id }, is_member: true }
    })
    expect(await api.getChatMember(group.id, member.id)).toMatchObject({
      status: "restricted",
      is_member: true,
      can_send_messages: false,
      can_send_photos: false,
      until_date: 0
    })
    expect(
      refusal(() => box.world.sendMessage({ from: member.id, chat_id: group.id, text: "hello?" }))
    ).toMatchObject({ status: 403, field: "from" })
  })

  it("a restricted bot gets Telegram's refusal when it sends", async () => {
    const { box, group } = await forumSetup()
    const { user: quiet, token } = box.world.createBot({ username: "quiet_bot" })
    box.world.setMember(group.id, { user_id: quiet.id, status: "member" })
    const api = grammyBot(box, token).api
    expect((await api.sendMessage(group.id, "allowed")).text).toBe("allowed")
    box.world.setMember(group.id, { user_id: quiet.id, status: "restricted" })
    const failed = await api.sendMessage(group.id, "not allowed").catch((error: unknown) => error)
    expect(failed).toBeInstanceOf(GrammyError)
    expect(failed).toMatchObject({
      error_code: 400,
      description: "Bad Request: not enough rights to send text messages to the chat"
    })
  })
})
