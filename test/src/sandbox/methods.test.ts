import { InputFile } from "grammy"
import type { ChatFullInfo, ChatMember, Message } from "grammy/types"
import { describe, expect, it } from "vitest"
import { forumSetup, grammyBot, png, privateSetup } from "./harness.ts"

const badRequest = (detail: string) => ({ error_code: 400, description: `Bad Request: ${detail}` })
const notModified =
  "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"
const keyboard = { inline_keyboard: [[{ text: "Yes", callback_data: "yes" }]] }

describe("editing and deleting", () => {
  it("editMessageText sets edit_date, drops the keyboard unless given again, and refuses no-op edits", async () => {
    const { api, user, box, botUser } = await privateSetup()
    const sent = await api.sendMessage(user.id, "draft", { reply_markup: keyboard })
    const edited = await api.editMessageText(user.id, sent.message_id, "final")
    expect(edited).toMatchObject({ text: "final", edit_date: expect.any(Number) as unknown })
    expect(edited).not.toHaveProperty("reply_markup")
    await expect(api.editMessageText(user.id, sent.message_id, "final")).rejects.toMatchObject(
      badRequest(notModified)
    )
    await expect(api.editMessageText(user.id, 999, "x")).rejects.toMatchObject(
      badRequest("message to edit not found")
    )
    await expect(api.editMessageText(user.id, 1, "x")).rejects.toMatchObject(
      badRequest("message can't be edited")
    )
    expect(box.world.messages(botUser.id, user.id).find((m) => m.message_id === sent.message_id)?.text).toBe(
      "final"
    )
  })

  it("editMessageCaption and editMessageReplyMarkup change only their part", async () => {
    const { api, user } = await privateSetup()
    const photo = await api.sendPhoto(user.id, new InputFile(png), { caption: "old" })
    const recaptioned = (await api.editMessageCaption(user.id, photo.message_id, {
      caption: "new"
    })) as Message
    expect(recaptioned.caption).toBe("new")
    await expect(
      api.editMessageCaption(user.id, photo.message_id, { caption: "c".repeat(1025) })
    ).rejects.toMatchObject(badRequest("message caption is too long"))
    const withKeyboard = (await api.editMessageReplyMarkup(user.id, photo.message_id, {
      reply_markup: keyboard
    })) as Message
    expect(withKeyboard.reply_markup).toEqual(keyboard)
    await expect(
      api.editMessageReplyMarkup(user.id, photo.message_id, { reply_markup: keyboard })
    ).rejects.toMatchObject(badRequest(notModified))
    const text = await api.sendMessage(user.id, "plain")
    await expect(api.editMessageCaption(user.id, text.message_id, { caption: "x" })).rejects.toMatchObject(
      badRequest("there is no caption in the message to edit")
    )
  })

  it("deleteMessage and deleteMessages remove what the bot may delete", async () => {
    const { api, user, box, botUser } = await privateSetup()
    const a = await api.sendMessage(user.id, "a")
    const b = await api.sendMessage(user.id, "b")
    expect(await api.deleteMessage(user.id, a.message_id)).toBe(true)
    await expect(api.deleteMessage(user.id, a.message_id)).rejects.toMatchObject(
      badRequest("message to delete not found")
    )
    expect(await api.deleteMessages(user.id, [b.message_id, 1])).toBe(true)
    expect(box.world.messages(botUser.id, user.id)).toEqual([])
  })

  it("a bot without can_delete_messages cannot delete others' group messages", async () => {
    const { box, owner, member, group } = await forumSetup()
    const plain = box.world.createBot({ username: "plain_bot" })
    box.world.setMember(group.id, { user_id: plain.user.id, status: "member" })
    const message = box.world.sendMessage({ from: member.id, chat_id: group.id, text: "mine" })
    await expect(
      grammyBot(box, plain.token).api.deleteMessage(group.id, message.message_id)
    ).rejects.toMatchObject(badRequest("message can't be deleted"))
    expect(box.world.messages(group.id, owner.id).map((m) => m.text)).toContain("mine")
  })

  it("setMessageReaction validates emoji and count; pin and unpin need rights", async () => {
    const { box, api, group, member, owner } = await forumSetup()
    const message = box.world.sendMessage({ from: member.id, chat_id: group.id, text: "react to me" })
    expect(await api.setMessageReaction(group.id, message.message_id, [{ type: "emoji", emoji: "👍" }])).toBe(
      true
    )
    await expect(
      api.setMessageReaction(group.id, message.message_id, [{ type: "emoji", emoji: "🦖" as "👍" }])
    ).rejects.toMatchObject(badRequest("REACTION_INVALID"))
    await expect(
      api.setMessageReaction(group.id, message.message_id, [
        { type: "emoji", emoji: "👍" },
        { type: "emoji", emoji: "🔥" }
      ])
    ).rejects.toMatchObject(badRequest("REACTIONS_TOO_MANY"))
    expect(await api.pinChatMessage(group.id, message.message_id)).toBe(true)
    const chat = (await api.getChat(group.id)) as ChatFullInfo.SupergroupChat
    expect(chat.pinned_message?.message_id).toBe(message.message_id)
    const seen = box.world.messages(group.id, owner.id)
    expect(seen.at(-1)?.pinned_message).toMatchObject({ message_id: message.message_id })
    expect(await api.unpinChatMessage(group.id)).toBe(true)
    await expect(api.unpinChatMessage(group.id)).rejects.toMatchObject(
      badRequest("message to unpin not found")
    )
    const plain = box.world.createBot({ username: "plain_bot" })
    box.world.setMember(group.id, { user_id: plain.user.id, status: "member" })
    await expect(
      grammyBot(box, plain.token).api.pinChatMessage(group.id, message.message_id)
    ).rejects.toMatchObject(badRequest("not enough rights to manage pinned messages in the chat"))
  })
})

describe("chats, members and topics", () => {
  it("getChat, getChatMember and getChatAdministrators describe the group", async () => {
    const { api, group, owner, member, botUser } = await forumSetup()
    const chat = await api.getChat(group.id)
    expect(chat).toMatchObject({
      id: group.id,
      type: "supergroup",
      title: "Team",
      is_forum: true,
      max_reaction_count: 11
    })
    expect(chat.accepted_gift_types).toBeDefined()
    expect(await api.getChatMember(group.id, member.id)).toEqual({
      status: "member",
      user: { id: member.id, is_bot: false, first_name: "Mark", username: "mark_member" }
    } satisfies ChatMember)
    const self = await api.getChatMember(group.id, botUser.id)
    expect(self).toMatchObject({
      status: "administrator",
      can_manage_topics: true,
      can_delete_messages: true
    })
    const admins = await api.getChatAdministrators(group.id)
    expect(admins.map((a) => [a.status, a.user.id])).toEqual([["creator", owner.id]])
    await expect(api.getChat(-1001)).rejects.toMatchObject(badRequest("chat not found"))
    await expect(api.getChatMember(group.id, 1)).rejects.toMatchObject(badRequest("user not found"))
  })

  it("banChatMember and unbanChatMember change status, refusing the owner", async () => {
    const { api, group, owner, member } = await forumSetup()
    expect(await api.banChatMember(group.id, member.id)).toBe(true)
    expect((await api.getChatMember(group.id, member.id)).status).toBe("kicked")
    expect(await api.unbanChatMember(group.id, member.id, { only_if_banned: true })).toBe(true)
    expect((await api.getChatMember(group.id, member.id)).status).toBe("left")
    await expect(api.banChatMember(group.id, owner.id)).rejects.toMatchObject(
      badRequest("can't remove chat owner")
    )
  })

  it("a bot without rights cannot ban or create topics", async () => {
    const { box, group, member } = await forumSetup()
    const plain = box.world.createBot({ username: "plain_bot" })
    box.world.setMember(group.id, { user_id: plain.user.id, status: "member" })
    const api = grammyBot(box, plain.token).api
    await expect(api.banChatMember(group.id, member.id)).rejects.toMatchObject(
      badRequest("not enough rights to restrict/unrestrict chat member")
    )
    await expect(api.createForumTopic(group.id, "Nope")).rejects.toMatchObject(
      badRequest("not enough rights to create a topic")
    )
  })

  it("creates, edits, closes, reopens and deletes forum topics", async () => {
    const { box, api, group, member } = await forumSetup()
    const topic = await api.createForumTopic(group.id, "Client: Ann", {
      icon_custom_emoji_id: "5368324170671202286"
    })
    expect(topic).toMatchObject({ name: "Client: Ann", icon_custom_emoji_id: "5368324170671202286" })
    const thread = topic.message_thread_id
    expect(await api.editForumTopic(group.id, thread, { name: "Ann (answered)" })).toBe(true)
    await expect(api.editForumTopic(group.id, thread, { name: "Ann (answered)" })).rejects.toMatchObject(
      badRequest("TOPIC_NOT_MODIFIED")
    )
    expect(await api.closeForumTopic(group.id, thread)).toBe(true)
    expect(box.world.topics(group.id)).toEqual([
      {
        message_thread_id: thread,
        name: "Ann (answered)",
        icon_color: topic.icon_color,
        icon_custom_emoji_id: "5368324170671202286",
        is_closed: true
      }
    ])
    expect(() =>
      box.world.sendMessage({ from: member.id, chat_id: group.id, message_thread_id: thread, text: "hi" })
    ).toThrow("TOPIC_CLOSED")
    expect(await api.reopenForumTopic(group.id, thread)).toBe(true)
    expect(await api.deleteForumTopic(group.id, thread)).toBe(true)
    expect(box.world.topics(group.id)).toEqual([])
    await expect(api.closeForumTopic(group.id, thread)).rejects.toMatchObject(
      badRequest("message thread not found")
    )
    const plain = box.world.createChat({
      type: "supergroup",
      title: "Flat",
      owner: member.id,
      admins: [(await api.getMe()).id]
    })
    await expect(api.createForumTopic(plain.id, "x")).rejects.toMatchObject(
      badRequest("the chat is not a forum")
    )
  })

  it("answerCallbackQuery records the answer once", async () => {
    const { api, user, box, botUser } = await privateSetup()
    const sent = await api.sendMessage(user.id, "choose", { reply_markup: keyboard })
    const { callback_query_id } = box.world.pressButton({
      from: user.id,
      chat_id: botUser.id,
      message_id: sent.message_id,
      data: "yes"
    })
    expect(await api.answerCallbackQuery(callback_query_id, { text: "Done", show_alert: true })).toBe(true)
    expect(box.world.callbackAnswer(callback_query_id)).toEqual({
      answered: true,
      text: "Done",
      show_alert: true
    })
    await expect(api.answerCallbackQuery(callback_query_id)).rejects.toMatchObject(
      badRequest("query is too old and response timeout expired or query ID is invalid")
    )
  })

  it("setMyCommands and getMyCommands per scope and language", async () => {
    const { api } = await privateSetup()
    expect(await api.setMyCommands([{ command: "close", description: "Close the dialog" }])).toBe(true)
    expect(
      await api.setMyCommands([{ command: "schliessen", description: "Schließen" }], { language_code: "de" })
    ).toBe(true)
    expect(await api.getMyCommands()).toEqual([{ command: "close", description: "Close the dialog" }])
    expect(await api.getMyCommands({ language_code: "de" })).toEqual([
      { command: "schliessen", description: "Schließen" }
    ])
    await expect(api.setMyCommands([{ command: "Bad Command", description: "x" }])).rejects.toMatchObject(
      badRequest("BOT_COMMAND_INVALID")
    )
  })
})

describe("the HTTP surface", () => {
  it("reads GET query strings, urlencoded and JSON bodies with Telegram's loose types", async () => {
    const { box, user, token } = await privateSetup()
    const base = `${box.apiRoot}/bot${token}`
    const viaGet = (await (await fetch(`${base}/sendMessage?chat_id=${user.id}&text=hi%20there`)).json()) as {
      ok: boolean
      result: { text: string }
    }
    expect(viaGet).toMatchObject({ ok: true, result: { text: "hi there" } })
    const form = new URLSearchParams({
      chat_id: String(user.id),
      text: "form",
      disable_notification: "True",
      reply_markup: JSON.stringify(keyboard)
    })
    const viaForm = (await (await fetch(`${base}/sendmessage`, { method: "POST", body: form })).json()) as {
      result: { reply_markup: unknown }
    }
    expect(viaForm.result.reply_markup).toEqual(keyboard)
    const viaJson = await fetch(`${base}/SENDMESSAGE`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        chat_id: String(user.id),
        text: "json",
        reply_parameters: JSON.stringify({ message_id: "1" })
      })
    })
    expect(await viaJson.json()).toMatchObject({ ok: true, result: { reply_to_message: { message_id: 1 } } })
    const multipart = new FormData()
    multipart.set("chat_id", String(user.id))
    multipart.set("document", new Blob([Buffer.from("abc")]), "notes.txt")
    const viaMultipart = await fetch(`${base}/sendDocument`, { method: "POST", body: multipart })
    expect(await viaMultipart.json()).toMatchObject({
      ok: true,
      result: { document: { file_name: "notes.txt", file_size: 3 } }
    })
  })

  it("answers unknown methods 404, unknown tokens 401 and bad tokens 404", async () => {
    const { box, token } = await privateSetup()
    const unknown = await fetch(`${box.apiRoot}/bot${token}/sendTelepathy`)
    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toEqual({ ok: false, error_code: 404, description: "Not Found" })
    expect(await (await fetch(`${box.apiRoot}/bot123:nope/getMe`)).json()).toEqual({
      ok: false,
      error_code: 401,
      description: "Unauthorized"
    })
    expect((await fetch(`${box.apiRoot}/botgarbage/getMe`)).status).toBe(404)
  })
})
