import { InputFile } from "grammy"
import type { InputMediaPhoto, Message, MessageEntity } from "grammy/types"
import { describe, expect, it } from "vitest"
import { forumSetup, png, privateSetup } from "./harness.ts"

const badRequest = (detail: string) => ({ error_code: 400, description: `Bad Request: ${detail}` })

describe("sending messages", () => {
  it("sendMessage applies parse_mode and detects entities; rejects empty, too long and unknown chats", async () => {
    const { api, user } = await privateSetup()
    const sent = await api.sendMessage(user.id, "<b>Hi</b> /help", { parse_mode: "HTML" })
    expect(sent.text).toBe("Hi /help")
    expect(sent.entities).toEqual([
      { type: "bold", offset: 0, length: 2 },
      { type: "bot_command", offset: 3, length: 5 }
    ] satisfies Array<MessageEntity>)
    await expect(api.sendMessage(user.id, " ")).rejects.toMatchObject(badRequest("message text is empty"))
    await expect(api.sendMessage(user.id, "x".repeat(4097))).rejects.toMatchObject(
      badRequest("message is too long")
    )
    expect((await api.sendMessage(user.id, "x".repeat(4096))).text).toHaveLength(4096)
    await expect(api.sendMessage(424242, "hi")).rejects.toMatchObject(badRequest("chat not found"))
    await expect(api.sendMessage(-1009999999999, "hi")).rejects.toMatchObject(badRequest("chat not found"))
  })

  it("refuses users who never started the bot or blocked it (403)", async () => {
    const { box, api, user, botUser } = await privateSetup()
    const stranger = box.world.createUser({ first_name: "Stranger" })
    await expect(api.sendMessage(stranger.id, "hi")).rejects.toMatchObject({
      error_code: 403,
      description: "Forbidden: bot can't initiate conversation with a user"
    })
    box.world.block({ user: user.id, bot: botUser.id })
    await expect(api.sendMessage(user.id, "hi")).rejects.toMatchObject({
      error_code: 403,
      description: "Forbidden: bot was blocked by the user"
    })
    box.world.sendMessage({ from: user.id, chat_id: botUser.id, text: "back" })
    expect((await api.sendMessage(user.id, "welcome back")).text).toBe("welcome back")
  })

  it("replies with reply_parameters and rejects replies to missing messages", async () => {
    const { api, user, box, botUser } = await privateSetup()
    const reply = await api.sendMessage(user.id, "answer", { reply_parameters: { message_id: 1 } })
    expect(reply.reply_to_message).toMatchObject({ message_id: 1, text: "/start" })
    await expect(
      api.sendMessage(user.id, "x", { reply_parameters: { message_id: 99 } })
    ).rejects.toMatchObject(badRequest("message to be replied not found"))
    const loose = await api.sendMessage(user.id, "x", {
      reply_parameters: { message_id: 99, allow_sending_without_reply: true }
    })
    expect(loose.reply_to_message).toBeUndefined()
    expect(box.world.messages(botUser.id, user.id).at(-1)?.text).toBe("x")
  })

  it("uploads every media kind with InputFile and re-sends by file_id", async () => {
    const { api, user } = await privateSetup()
    const photo = await api.sendPhoto(user.id, new InputFile(png, "pic.png"), {
      caption: "a <i>pic</i>",
      parse_mode: "HTML"
    })
    expect(photo.photo.at(-1)).toMatchObject({ width: 3, height: 2 })
    expect(photo.caption).toBe("a pic")
    expect(photo.caption_entities).toEqual([{ type: "italic", offset: 2, length: 3 }])
    const again = await api.sendPhoto(user.id, photo.photo.at(-1)!.file_id)
    expect(again.photo.map((p) => p.file_unique_id)).toEqual(photo.photo.map((p) => p.file_unique_id))
    const bytes = Buffer.from("%PDF-1.4 hello")
    const doc = await api.sendDocument(user.id, new InputFile(bytes, "report.pdf"))
    expect(doc.document).toMatchObject({
      file_name: "report.pdf",
      mime_type: "application/pdf",
      file_size: bytes.length
    })
    const video = await api.sendVideo(user.id, new InputFile(bytes, "clip.mp4"), {
      duration: 3,
      width: 640,
      height: 360
    })
    expect(video.video).toMatchObject({ duration: 3, width: 640, height: 360, mime_type: "video/mp4" })
    const voice = await api.sendVoice(user.id, new InputFile(bytes), { duration: 2 })
    expect(voice.voice).toMatchObject({ duration: 2, mime_type: "audio/ogg" })
    const note = await api.sendVideoNote(user.id, new InputFile(bytes), { length: 240, duration: 1 })
    expect(note.video_note).toMatchObject({ length: 240, duration: 1 })
    const audio = await api.sendAudio(user.id, new InputFile(bytes, "song.mp3"), {
      performer: "Band",
      title: "Song",
      duration: 5
    })
    expect(audio.audio).toMatchObject({
      performer: "Band",
      title: "Song",
      duration: 5,
      file_name: "song.mp3"
    })
    const animation = await api.sendAnimation(user.id, new InputFile(bytes, "fun.mp4"))
    expect(animation.animation?.file_unique_id).toBe(animation.document?.file_unique_id)
    const sticker = await api.sendSticker(user.id, new InputFile(bytes, "s.webp"))
    expect(sticker.sticker).toMatchObject({ type: "regular", is_animated: false, is_video: false })
    await expect(api.sendPhoto(user.id, doc.document.file_id)).rejects.toMatchObject(
      badRequest("type of file mismatch")
    )
    await expect(api.sendDocument(user.id, "nonsense")).rejects.toMatchObject(
      badRequest("wrong file identifier/HTTP URL specified")
    )
    await expect(
      api.sendPhoto(user.id, new InputFile(png), { caption: "c".repeat(1025) })
    ).rejects.toMatchObject(badRequest("message caption is too long"))
  })

  it("stores a placeholder for URL media and serves files at /file/bot<token>/<path>", async () => {
    const { box, api, user, token } = await privateSetup()
    const doc = await api.sendDocument(user.id, "https://example.com/files/manual.pdf")
    expect(doc.document).toMatchObject({ file_name: "manual.pdf", mime_type: "application/pdf" })
    const file = await api.getFile(doc.document.file_id)
    const download = await fetch(`${box.apiRoot}/file/bot${token}/${file.file_path}`)
    expect(await download.text()).toBe("https://example.com/files/manual.pdf")
    const uploaded = await api.sendDocument(user.id, new InputFile(Buffer.from("payload"), "a.txt"))
    const path = (await api.getFile(uploaded.document.file_id)).file_path!
    expect(await (await fetch(`${box.apiRoot}/file/bot${token}/${path}`)).text()).toBe("payload")
    expect((await fetch(`${box.apiRoot}/file/bot${token}/documents/none.txt`)).status).toBe(404)
  })

  it("sends albums with one media_group_id and refuses bad albums", async () => {
    const { api, user } = await privateSetup()
    const album: Array<Message> = await api.sendMediaGroup(user.id, [
      { type: "photo", media: new InputFile(png), caption: "first" },
      { type: "video", media: new InputFile(Buffer.from("v"), "v.mp4") }
    ])
    expect(album).toHaveLength(2)
    expect(album[0]!.media_group_id).toBeDefined()
    expect(album[1]!.media_group_id).toBe(album[0]!.media_group_id)
    expect(album[0]!.caption).toBe("first")
    expect(album[1]!.video).toBeDefined()
    await expect(
      api.sendMediaGroup(user.id, [{ type: "photo", media: new InputFile(png) }])
    ).rejects.toMatchObject(badRequest("array of media must contain 2-10 items"))
    await expect(
      api.sendMediaGroup(user.id, [
        { type: "document", media: new InputFile(png) },
        { type: "photo", media: new InputFile(png) }
      ] as unknown as Array<InputMediaPhoto>)
    ).rejects.toMatchObject(badRequest("document can't be mixed with other media types"))
  })

  it("sends locations and contacts, and validates them", async () => {
    const { api, user } = await privateSetup()
    const location = await api.sendLocation(user.id, 52.52, 13.4)
    expect(location.location).toEqual({ latitude: 52.52, longitude: 13.4 })
    await expect(api.sendLocation(user.id, 91, 0)).rejects.toMatchObject(badRequest("wrong latitude"))
    const contact = await api.sendContact(user.id, "+4912345", "Ann", { last_name: "Lee" })
    expect(contact.contact).toEqual({ phone_number: "+4912345", first_name: "Ann", last_name: "Lee" })
  })

  it("sendChatAction accepts Telegram's actions only", async () => {
    const { api, user, box } = await privateSetup()
    expect(await api.sendChatAction(user.id, "typing")).toBe(true)
    expect([...box.world.world.chatActions.values()][0]).toMatchObject({ action: "typing" })
    await expect(api.sendChatAction(user.id, "dancing" as "typing")).rejects.toMatchObject(
      badRequest("wrong parameter action in request")
    )
  })

  it("copies, copies many and forwards with forward_origin", async () => {
    const { box, api, owner, group, token } = await forumSetup()
    const user = box.world.createUser({ first_name: "Client" })
    const { botUser } = { botUser: await api.getMe() }
    box.world.sendMessage({ from: user.id, chat_id: botUser.id, text: "original" })
    const original = box.world.messages(botUser.id, user.id)[0]!
    const copy = await api.copyMessage(group.id, user.id, original.message_id)
    const copied = box.world.messages(group.id, owner.id).find((m) => m.message_id === copy.message_id)!
    expect(copied).toMatchObject({ text: "original", from: { id: botUser.id } })
    expect(copied.forward_origin).toBeUndefined()
    const forwarded = await api.forwardMessage(group.id, user.id, original.message_id)
    expect(forwarded.forward_origin).toEqual({
      type: "user",
      date: original.date,
      sender_user: { id: user.id, is_bot: false, first_name: "Client" }
    })
    box.world.sendMessage({ from: user.id, chat_id: botUser.id, text: "second" })
    const ids = await api.copyMessages(group.id, user.id, [1, 2, 77])
    expect(ids).toHaveLength(2)
    await expect(api.copyMessage(group.id, user.id, 99)).rejects.toMatchObject(
      badRequest("message to copy not found")
    )
    expect(token).toBeDefined()
  })

  it("refuses to post in a group the bot is not in, was kicked from, or where the topic is gone", async () => {
    const { box, api, owner, group, botUser } = await forumSetup()
    const outsider = box.world.createBot({ username: "outsider_bot" })
    const outsiderApi = new (await import("grammy")).Bot(outsider.token, { client: { apiRoot: box.apiRoot } })
      .api
    await expect(outsiderApi.sendMessage(group.id, "hi")).rejects.toMatchObject({
      error_code: 403,
      description: "Forbidden: bot is not a member of the supergroup chat"
    })
    const topic = await api.createForumTopic(group.id, "Temp")
    box.world.topicAction(group.id, topic.message_thread_id, "delete")
    await expect(
      api.sendMessage(group.id, "hi", { message_thread_id: topic.message_thread_id })
    ).rejects.toMatchObject(badRequest("message thread not found"))
    box.world.setMember(group.id, { user_id: botUser.id, status: "kicked", by: owner.id })
    await expect(api.sendMessage(group.id, "hi")).rejects.toMatchObject({
      error_code: 403,
      description: "Forbidden: bot was kicked from the supergroup chat"
    })
  })

  it("returns messages that satisfy the Message type", async () => {
    const { api, user } = await privateSetup()
    const sent = (await api.sendMessage(user.id, "typed")) satisfies Message
    expect(Object.keys(sent)).toEqual(["message_id", "from", "chat", "date", "text"])
  })
})
