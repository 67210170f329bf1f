import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { webhookCallback } from "grammy"
import type { Update } from "grammy/types"
import { describe, expect, it } from "vitest"
import { eventually, forumSetup, grammyBot, pollingBot, privateSetup, sandbox, sleep } from "./harness.ts"

describe("long polling with bot.start", () => {
  it("delivers message, edited_message and callback_query, and the bot's answers reach the user", async () => {
    const { box, user, botUser, token } = await privateSetup()
    const { next } = await pollingBot(box, token, (bot) => {
      bot.command("start", (ctx) =>
        ctx.reply("Welcome!", { reply_markup: { inline_keyboard: [[{ text: "Go", callback_data: "go" }]] } })
      )
      bot.callbackQuery("go", (ctx) => ctx.answerCallbackQuery({ text: "Going" }))
    })
    expect((await next("message")).message?.text).toBe("/start")
    const welcome = await eventually(() =>
      box.world.messages(botUser.id, user.id).find((m) => m.text === "Welcome!")
    )
    const sent = box.world.sendMessage({ from: user.id, chat_id: botUser.id, text: "typo" })
    await next("message")
    box.world.edit({ from: user.id, chat_id: botUser.id, message_id: sent.message_id, text: "fixed" })
    const edited = await next("edited_message")
    expect(edited.edited_message).toMatchObject({
      text: "fixed",
      edit_date: expect.any(Number) as unknown,
      chat: { id: user.id }
    })
    const id = box.world.pressButton({
      from: user.id,
      chat_id: botUser.id,
      message_id: welcome.message_id,
      data: "go"
    }).callback_query_id
    const query = await next("callback_query")
    expect(query.callback_query).toMatchObject({
      id,
      data: "go",
      from: { id: user.id },
      message: { message_id: welcome.message_id }
    })
    await eventually(() => box.world.callbackAnswer(id).answered)
    expect(box.world.callbackAnswer(id)).toMatchObject({ text: "Going" })
  })

  it("delivers message_reaction only when asked for, as Telegram does", async () => {
    const { box, user, botUser, token } = await privateSetup()
    const api = grammyBot(box, token).api
    const sent = await api.sendMessage(user.id, "rate me")
    const { next, updates } = await pollingBot(box, token, () => {}, ["message", "message_reaction"])
    box.world.react({ from: user.id, chat_id: botUser.id, message_id: sent.message_id, reaction: ["👍"] })
    const update = await next("message_reaction")
    expect(update.message_reaction).toMatchObject({
      message_id: sent.message_id,
      user: { id: user.id },
      old_reaction: [],
      new_reaction: [{ type: "emoji", emoji: "👍" }]
    })
    expect(updates.every((u) => !("chat_member" in u))).toBe(true)
  })

  it("sends my_chat_member and chat_member on membership changes", async () => {
    const box = await sandbox()
    const owner = box.world.createUser({ first_name: "Owner" })
    const newcomer = box.world.createUser({ first_name: "Newcomer" })
    const { user: botUser, token } = box.world.createBot({ username: "watch_bot" })
    const group = box.world.createChat({ type: "supergroup", title: "G", owner: owner.id })
    const { next } = await pollingBot(box, token, () => {}, ["message", "my_chat_member", "chat_member"])
    box.world.setMember(group.id, { user_id: botUser.id, status: "administrator" })
    const mine = await next("my_chat_member")
    expect(mine.my_chat_member).toMatchObject({
      chat: { id: group.id },
      from: { id: owner.id },
      old_chat_member: { status: "left" },
      new_chat_member: { status: "administrator", can_manage_topics: true }
    })
    box.world.setMember(group.id, { user_id: newcomer.id, status: "member" })
    const member = await next("chat_member")
    expect(member.chat_member).toMatchObject({
      old_chat_member: { status: "left" },
      new_chat_member: { status: "member", user: { id: newcomer.id } }
    })
    const joined = await next("message")
    expect(joined.message?.new_chat_members).toEqual([
      { id: newcomer.id, is_bot: false, first_name: "Newcomer" }
    ])
  })

  it("sends channel_post to admin bots of a channel", async () => {
    const box = await sandbox()
    const owner = box.world.createUser({ first_name: "Owner" })
    const { user: botUser, token } = box.world.createBot({ username: "channel_bot" })
    const channel = box.world.createChat({
      type: "channel",
      title: "News",
      owner: owner.id,
      admins: [botUser.id]
    })
    const { next } = await pollingBot(box, token)
    box.world.sendMessage({ from: owner.id, chat_id: channel.id, text: "Release 1.0" })
    const post = await next("channel_post")
    expect(post.channel_post).toMatchObject({
      text: "Release 1.0",
      chat: { id: channel.id, type: "channel" },
      sender_chat: { id: channel.id }
    })
    expect(post.channel_post).not.toHaveProperty("from")
  })

  it("sends forum service messages for topics users create, edit, close and reopen", async () => {
    const { box, owner, group, token } = await forumSetup()
    const { next } = await pollingBot(box, token)
    const topic = box.world.createTopic(group.id, { from: owner.id, name: "Sales" })
    const created = await next("message")
    expect(created.message).toMatchObject({
      message_id: topic.message_thread_id,
      message_thread_id: topic.message_thread_id,
      is_topic_message: true,
      forum_topic_created: { name: "Sales", icon_color: topic.icon_color }
    })
    box.world.topicAction(group.id, topic.message_thread_id, "close", owner.id)
    expect((await next("message")).message?.forum_topic_closed).toEqual({})
    box.world.topicAction(group.id, topic.message_thread_id, "reopen", owner.id)
    expect((await next("message")).message?.forum_topic_reopened).toEqual({})
    await grammyBot(box, token).api.editForumTopic(group.id, topic.message_thread_id, { name: "Sales EU" })
    expect(
      box.world.messages(group.id, owner.id, topic.message_thread_id).at(-1)?.forum_topic_edited
    ).toEqual({ name: "Sales EU" })
  })

  it("privacy mode: a non-admin bot sees commands, replies to it and mentions only", async () => {
    const { box, owner, member, group } = await forumSetup()
    const { user: quiet, token } = box.world.createBot({ username: "quiet_bot" })
    box.world.setMember(group.id, { user_id: quiet.id, status: "member" })
    const { updates } = await pollingBot(box, token)
    const own = await grammyBot(box, token).api.sendMessage(group.id, "I am here")
    box.world.sendMessage({ from: member.id, chat_id: group.id, text: "chatter" })
    box.world.sendMessage({ from: member.id, chat_id: group.id, text: "/status" })
    box.world.sendMessage({ from: member.id, chat_id: group.id, text: "/status@other_bot" })
    box.world.sendMessage({ from: member.id, chat_id: group.id, text: "hey @quiet_bot" })
    box.world.sendMessage({
      from: owner.id,
      chat_id: group.id,
      text: "reply",
      reply_to_message_id: own.message_id
    })
    await eventually(() => updates.filter((u) => u.message?.text !== undefined).length >= 3)
    await sleep(50)
    expect(updates.map((u) => u.message?.text).filter((t) => t !== undefined)).toEqual([
      "/status",
      "hey @quiet_bot",
      "reply"
    ])
  })

  it("bots never receive messages sent by other bots", async () => {
    const { box, group, member, token } = await forumSetup()
    const other = box.world.createBot({ username: "other_bot" })
    box.world.setMember(group.id, { user_id: other.user.id, status: "administrator" })
    const { updates } = await pollingBot(box, token)
    await grammyBot(box, other.token).api.sendMessage(group.id, "from a bot")
    box.world.sendMessage({ from: member.id, chat_id: group.id, text: "from a person" })
    await eventually(() => updates.some((u) => u.message?.text === "from a person"))
    expect(updates.some((u) => u.message?.text === "from a bot")).toBe(false)
  })
})

describe("getUpdates", () => {
  it("confirms by offset, honours limit and waits for timeout", async () => {
    const { box, user, botUser, api } = await privateSetup()
    box.world.sendMessage({ from: user.id, chat_id: botUser.id, text: "two" })
    const first = await api.getUpdates({ limit: 1 })
    expect(first).toHaveLength(1)
    const both = await api.getUpdates({ offset: first[0]!.update_id })
    expect(both.map((u) => u.message?.text)).toEqual(["/start", "two"])
    const rest = await api.getUpdates({ offset: both[1]!.update_id + 1 })
    expect(rest).toEqual([])
    const started = Date.now()
    const waiting = api.getUpdates({ offset: both[1]!.update_id + 1, timeout: 5 })
    await sleep(50)
    box.world.sendMessage({ from: user.id, chat_id: botUser.id, text: "three" })
    expect((await waiting).map((u) => u.message?.text)).toEqual(["three"])
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it("ends a waiting call with 409 when another starts, as Telegram does", async () => {
    const { api } = await privateSetup()
    const [, confirmedFirst] = [0, await api.getUpdates()]
    const offset = confirmedFirst[0]!.update_id + 1
    const first = api.getUpdates({ offset, timeout: 5 })
    await sleep(30)
    const second = api.getUpdates({ offset, timeout: 0 })
    await expect(first).rejects.toMatchObject({
      error_code: 409,
      description:
        "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
    })
    expect(await second).toEqual([])
  })
})

describe("webhooks", () => {
  const receiver = async (handler: Parameters<typeof createServer>[1]) => {
    const server = createServer(handler)
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
      close: () => new Promise((r) => server.close(r))
    }
  }

  it("delivers to grammY's webhookCallback with the secret token; getUpdates answers 409 meanwhile", async () => {
    const { box, user, botUser, token } = await privateSetup()
    const bot = grammyBot(box, token)
    bot.on("message:text", (ctx) => ctx.reply(`got ${ctx.message.text}`))
    await bot.init()
    const callback = webhookCallback(bot, "http", { secretToken: "s3cret" })
    const hook = await receiver((req, res) => void callback(req, res))
    try {
      await bot.api.setWebhook(hook.url, { secret_token: "s3cret" })
      await expect(bot.api.getUpdates()).rejects.toMatchObject({
        error_code: 409,
        description:
          "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
      })
      await eventually(() => box.world.messages(botUser.id, user.id).some((m) => m.text === "got /start"))
      box.world.sendMessage({ from: user.id, chat_id: botUser.id, text: "ping" })
      await eventually(() => box.world.messages(botUser.id, user.id).some((m) => m.text === "got ping"))
      const info = await bot.api.getWebhookInfo()
      expect(info).toMatchObject({ url: hook.url, pending_update_count: 0, has_custom_certificate: false })
      expect(await bot.api.deleteWebhook()).toBe(true)
      expect((await bot.api.getWebhookInfo()).url).toBe("")
    } finally {
      await hook.close()
    }
  })

  it("retries with back-off while the receiver fails and runs a method given in the webhook answer", async () => {
    const { box, user, botUser, token } = await privateSetup({ limits: { enabled: false, timeScale: 0.02 } })
    const bodies: Array<Update> = []
    let failures = 2
    const hook = await receiver((req, res) => {
      let data = ""
      req.on("data", (chunk: Buffer) => (data += chunk.toString()))
      req.on("end", () => {
        if (failures > 0) {
          failures -= 1
          res.writeHead(500).end()
          return
        }
        expect(req.headers["x-telegram-bot-api-secret-token"]).toBe("abc")
        bodies.push(JSON.parse(data) as Update)
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ method: "sendMessage", chat_id: user.id, text: "webhook reply" }))
      })
    })
    try {
      const api = grammyBot(box, token).api
      await api.setWebhook(hook.url, { secret_token: "abc" })
      await eventually(() => bodies.length === 1)
      expect(bodies[0]!.message?.text).toBe("/start")
      const info = await api.getWebhookInfo()
      expect(info.last_error_message).toBe("Wrong response from the webhook: 500 Internal Server Error")
      await eventually(() => box.world.messages(botUser.id, user.id).some((m) => m.text === "webhook reply"))
    } finally {
      await hook.close()
    }
  })
})
