import type { Chat, ForumTopic, Message, User, UserFromGetMe } from "grammy/types"
import { describe, expect, it } from "vitest"
import { detectEntities, parseHtml, parseMarkdown } from "../../../src/sandbox/Entities.ts"
import { imageSize } from "../../../src/sandbox/Files.ts"
import { forumSetup, png, privateSetup, sandbox } from "./harness.ts"

describe("world objects", () => {
  it("creates users, bots and chats shaped as the Bot API returns them", async () => {
    const box = await sandbox()
    const user = box.world.createUser({
      first_name: "Ann",
      last_name: "Lee",
      username: "ann_lee",
      language_code: "en",
      is_premium: true
    })
    expect(user).toEqual({
      id: user.id,
      is_bot: false,
      first_name: "Ann",
      last_name: "Lee",
      username: "ann_lee",
      language_code: "en",
      is_premium: true
    } satisfies User)
    const { user: botUser, token } = box.world.createBot({ username: "helper_bot" })
    expect(token).toMatch(new RegExp(`^${botUser.id}:[A-Za-z0-9_-]{30,}$`))
    expect(botUser).toEqual({
      id: botUser.id,
      is_bot: true,
      first_name: "helper_bot",
      username: "helper_bot"
    } satisfies User)
    const group = box.world.createChat({
      type: "supergroup",
      title: "Ops",
      is_forum: true,
      owner: user.id,
      admins: [botUser.id]
    })
    expect(group).toEqual({ id: group.id, type: "supergroup", title: "Ops", is_forum: true } satisfies Chat)
    expect(String(group.id)).toMatch(/^-100\d{10}$/)
    const basic = box.world.createChat({ type: "group", title: "Basic", owner: user.id })
    expect(basic).toEqual({ id: basic.id, type: "group", title: "Basic" } satisfies Chat)
  })

  it("refuses a bot username that does not end in bot and a taken username", async () => {
    const box = await sandbox()
    expect(() => box.world.createBot({ username: "helper" })).toThrow(/end in 'bot'/)
    box.world.createUser({ first_name: "A", username: "same_name" })
    expect(() => box.world.createUser({ first_name: "B", username: "Same_Name" })).toThrow(/taken/)
  })

  it("getMe answers the complete UserFromGetMe", async () => {
    const { api, botUser } = await privateSetup()
    const me = await api.getMe()
    expect(me).toEqual({
      id: botUser.id,
      is_bot: true,
      first_name: "Helper",
      username: "helper_bot",
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
      has_topics_enabled: false,
      allows_users_to_create_topics: false,
      can_manage_bots: false,
      supports_join_request_queries: false
    } satisfies UserFromGetMe)
  })

  it("numbers messages per chat and renders a private chat from each side", async () => {
    const { box, api, user, botUser } = await privateSetup()
    const sent = await api.sendMessage(user.id, "hello")
    expect(sent).toEqual({
      message_id: 2,
      from: { id: botUser.id, is_bot: true, first_name: "Helper", username: "helper_bot" },
      chat: { id: user.id, type: "private", first_name: "Ann", last_name: "Lee", username: "ann_lee" },
      date: sent.date,
      text: "hello"
    } satisfies Message)
    const seen = box.world.messages(botUser.id, user.id)
    expect(seen.map((m) => [m.message_id, m.text, m.chat.id])).toEqual([
      [1, "/start", botUser.id],
      [2, "hello", botUser.id]
    ])
  })

  it("gives created topics the id of their service message, General being thread 1", async () => {
    const { api, group, box, owner } = await forumSetup()
    const topic = await api.createForumTopic(group.id, "Billing", { icon_color: 0xff93b2 })
    expect(topic).toEqual({
      message_thread_id: 2,
      name: "Billing",
      icon_color: 0xff93b2
    } satisfies ForumTopic)
    const inTopic = await api.sendMessage(group.id, "in topic", {
      message_thread_id: topic.message_thread_id
    })
    expect(inTopic.message_thread_id).toBe(topic.message_thread_id)
    expect(inTopic.is_topic_message).toBe(true)
    expect(inTopic.reply_to_message?.forum_topic_created).toEqual({ name: "Billing", icon_color: 0xff93b2 })
    const general = await api.sendMessage(group.id, "general")
    expect(general.message_thread_id).toBeUndefined()
    expect(box.world.messages(group.id, owner.id, 1).map((m) => m.text)).toEqual(["general"])
  })

  it("tells onStored listeners of every message as it is stored, until they stop", async () => {
    const { api, group, box, owner, botUser } = await forumSetup()
    const stored: Array<[number, number | undefined, string]> = []
    const stop = box.world.world.onStored((chat, message) =>
      stored.push([chat.id, message.from, message.text ?? message.service?.kind ?? ""])
    )
    const topic = await api.createForumTopic(group.id, "Billing")
    await api.sendMessage(group.id, "from the bot", { message_thread_id: topic.message_thread_id })
    box.world.sendMessage({ from: owner.id, chat_id: group.id, text: "from the owner" })
    stop()
    box.world.sendMessage({ from: owner.id, chat_id: group.id, text: "after stop" })
    expect(stored).toEqual([
      [group.id, botUser.id, "forum_topic_created"],
      [group.id, botUser.id, "from the bot"],
      [group.id, owner.id, "from the owner"]
    ])
  })

  it("keeps file ids per bot and unique ids shared", async () => {
    const { box, api, user, botUser } = await privateSetup()
    const other = box.world.createBot({ username: "other_bot" })
    box.world.sendMessage({ from: user.id, chat_id: other.user.id, text: "hi" })
    const sent = box.world.sendMessage({
      from: user.id,
      chat_id: botUser.id,
      photo: { base64: png.toString("base64") }
    })
    const updates = await api.getUpdates()
    const seenByBot = updates.at(-1)!.message!
    expect(seenByBot.photo![0]!.file_unique_id).toBe(sent.photo![0]!.file_unique_id)
    expect(seenByBot.photo![0]!.file_id).not.toBe(sent.photo![0]!.file_id)
    const largest = seenByBot.photo!.at(-1)!
    expect(largest).toMatchObject({ width: 3, height: 2, file_size: png.length })
    const file = await api.getFile(largest.file_id)
    expect(file.file_path).toMatch(/^photos\/file_\d+\.jpg$/)
    const otherApi = new (await import("grammy")).Bot(other.token, { client: { apiRoot: box.apiRoot } }).api
    await expect(otherApi.getFile(largest.file_id)).rejects.toMatchObject({
      error_code: 400,
      description: "Bad Request: wrong file identifier/HTTP URL specified"
    })
  })
})

describe("entities", () => {
  it("detects commands, mentions, hashtags, links and e-mails as Telegram does", () => {
    const text = "/start@helper_bot hi @ann_lee #help see https://example.com/x, mail a@b.io"
    expect(detectEntities(text).map((e) => [e.type, text.slice(e.offset, e.offset + e.length)])).toEqual([
      ["bot_command", "/start@helper_bot"],
      ["mention", "@ann_lee"],
      ["hashtag", "#help"],
      ["url", "https://example.com/x"],
      ["email", "a@b.io"]
    ])
  })

  it("parses HTML and MarkdownV2 into text and entities, with Telegram's errors", () => {
    expect(
      parseHtml(
        '<b>bold</b> &amp; <a href="https://x.io">link</a> <pre><code class="language-ts">x</code></pre>'
      )
    ).toEqual({
      text: "bold & link x",
      entities: [
        { type: "bold", offset: 0, length: 4 },
        { type: "text_link", offset: 7, length: 4, url: "https://x.io" },
        { type: "pre", offset: 12, length: 1, language: "ts" }
      ]
    })
    expect(() => parseHtml("<b>open")).toThrow(
      "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\""
    )
    expect(() => parseHtml("<blink>x</blink>")).toThrow(/Unsupported start tag "blink" at byte offset 0/)
    expect(parseMarkdown("*bold* _it_ \\! [a](https://a.io)", true)).toEqual({
      text: "bold it ! a",
      entities: [
        { type: "bold", offset: 0, length: 4 },
        { type: "italic", offset: 5, length: 2 },
        { type: "text_link", offset: 10, length: 1, url: "https://a.io" }
      ]
    })
    expect(() => parseMarkdown("end.", true)).toThrow(
      "Character '.' is reserved and must be escaped with the preceding '\\'"
    )
  })

  it("reads image sizes from PNG headers", () => {
    expect(imageSize(png)).toEqual({ width: 3, height: 2 })
    expect(imageSize(Buffer.from("not an image"))).toBeUndefined()
  })
})
