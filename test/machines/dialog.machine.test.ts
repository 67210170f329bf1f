import { describe, expect, it } from "vitest"
import { createActor, SimulatedClock } from "xstate"
import { dialogMachine, machines, type DialogEvent, type DialogMessage } from "../../machines/index.ts"
import { splitText } from "../../machines/dialog.text.ts"
import { defaultDialogSettings, type DialogSettings } from "../../src/domain/DialogSettings.ts"
import { MessageId, UpdateId } from "../../src/domain/Events.ts"
import { ChatId, ConnectionId, TopicId, UserId } from "../../src/domain/Ids.ts"

const connection = ConnectionId.make("bot:7")
const group = -1001
const client = {
  id: UserId.make(42),
  is_bot: false,
  first_name: "Alice",
  last_name: "Smith",
  username: "alice",
  language_code: "en"
}
const operator = { id: UserId.make(11), is_bot: false, first_name: "Olga" }
const inbox = (settings: Partial<DialogSettings> = {}) => ({
  backendGroup: group,
  settings: { ...defaultDialogSettings, ...settings }
})

const fromClient = (
  messageId: number,
  text: string,
  settings: Partial<DialogSettings> = {}
): DialogMessage => ({
  type: "message.received",
  connection,
  updateId: UpdateId.make(messageId),
  chat: { id: ChatId.make(42), type: "private" },
  from: client,
  messageId: MessageId.make(messageId),
  message: { message_id: messageId, date: 0, chat: { id: 42, type: "private", first_name: "Alice" }, text },
  ...inbox(settings)
})

const inTopic = (
  messageId: number,
  text: string,
  options: { from?: DialogMessage["from"]; settings?: Partial<DialogSettings>; replyTo?: number } = {}
): DialogMessage => ({
  type: "message.received",
  connection,
  updateId: UpdateId.make(1000 + messageId),
  chat: { id: ChatId.make(group), type: "supergroup", is_forum: true },
  threadId: TopicId.make(77),
  from: options.from ?? operator,
  messageId: MessageId.make(messageId),
  message: {
    message_id: messageId,
    date: 0,
    chat: { id: group, type: "supergroup", title: "Team" },
    text,
    ...(options.replyTo === undefined
      ? {}
      : {
          reply_to_message: {
            message_id: options.replyTo,
            date: 0,
            chat: { id: group, type: "supergroup", title: "Team" },
            from: { id: 7, is_bot: true, first_name: "Backline" }
          } as never
        })
  },
  ...inbox(options.settings)
})

type Emitted = { type: string } & Record<string, unknown>

const start = () => {
  const actor = createActor(dialogMachine, { input: { key: "dialog:bot:7:42" }, clock: new SimulatedClock() })
  const emitted: Array<Emitted> = []
  actor.on("*", (event) => emitted.push(event as unknown as Emitted))
  actor.start()
  const send = (event: DialogEvent) => {
    emitted.length = 0
    actor.send(event)
    return [...emitted]
  }
  const status = () => actor.getSnapshot().context.status
  return { actor, send, status }
}

const topicCreated: DialogEvent = {
  type: "dialog.topicCreated",
  result: { message_thread_id: 77, name: "🔴 Alice Smith" }
}

/** A dialog with its topic open and the client's first message relayed. */
const opened = () => {
  const dialog = start()
  dialog.send(fromClient(1, "Hello"))
  dialog.send(topicCreated)
  return dialog
}

const calls = (events: Array<Emitted>) =>
  events.filter((event) => event.type === "outbox.send").map((event) => event["method"])

describe("dialog machine", () => {
  it("a bare /start opens nothing; /start <param> is kept for the card", () => {
    const { actor, send } = start()
    expect(send(fromClient(1, "/start"))).toEqual([])
    expect(send(fromClient(2, "/start promo-7"))).toEqual([])
    expect(actor.getSnapshot().value).toBe("new")
    expect(actor.getSnapshot().context.startParam).toBe("promo-7")
  })

  it("the first real message asks for a topic and welcomes the client; messages wait and follow the card", () => {
    const { actor, send } = start()
    expect(send(fromClient(1, "Hello"))).toEqual([
      {
        type: "outbox.send",
        connection: "bot:7",
        chatId: group,
        method: "createForumTopic",
        params: { name: "🔴 Alice Smith" },
        replyAs: "dialog.topicCreated"
      },
      {
        type: "outbox.send",
        connection: "bot:7",
        chatId: 42,
        method: "sendMessage",
        params: {
          text: "Hello, Alice Smith! Thanks for writing. The team will answer here soon.",
          parse_mode: "Markdown"
        }
      }
    ])
    expect(send(fromClient(2, "Anyone?"))).toEqual([])
    const ready = send(topicCreated)
    expect(ready.map((event) => [event.type, event["method"] ?? null])).toEqual([
      ["topic.claim", null],
      ["dialog.opened", null],
      ["outbox.send", "sendMessage"],
      ["outbox.send", "copyMessages"],
      ["dialog.clientWrote", null],
      ["dialog.clientWrote", null]
    ])
    expect(ready[2]?.["params"]).toEqual({
      message_thread_id: 77,
      text: "👤 Alice Smith\n@alice\nid 42\nlanguage en\nvia bot:7"
    })
    expect(ready[3]?.["params"]).toEqual({ from_chat_id: 42, message_ids: [1, 2], message_thread_id: 77 })
    expect(actor.getSnapshot().value).toEqual({ open: "awaitingTeam" })
  })

  it("WELCOME OFF sends no welcome; {title} is the client's name, Markdown-escaped", () => {
    expect(calls(start().send(fromClient(1, "Hello", { welcome: null })))).toEqual(["createForumTopic"])
    const { send } = start()
    const welcome = send(fromClient(1, "Hi", { welcome: "*Hi* {title}" })).find(
      (event) => event["method"] === "sendMessage"
    )
    expect(welcome?.["params"]).toEqual({ text: "*Hi* Alice Smith", parse_mode: "Markdown" })
  })

  it("an operator's answer goes to the client; commands, comments and bots' messages do not", () => {
    const { send, status } = opened()
    expect(send(inTopic(10, "/ internal note #billing @olga"))).toEqual([])
    expect(send(inTopic(12, "posted by a bot", { from: { ...operator, is_bot: true } }))).toEqual([])
    expect(status()).toBe("awaitingTeam")
    const answered = send(inTopic(13, "It ships today"))
    expect(answered).toEqual([
      {
        type: "outbox.send",
        connection: "bot:7",
        chatId: 42,
        method: "copyMessage",
        params: { from_chat_id: group, message_id: 13 },
        reportFailure: true
      },
      {
        type: "dialog.teamAnswered",
        connection: "bot:7",
        peerId: 42,
        chatId: group,
        threadId: 77,
        messageId: 13,
        by: 11
      },
      {
        type: "timer.set",
        name: "autoClose",
        delayMs: 48 * 3_600_000,
        event: { type: "dialog.autoClose" }
      },
      {
        type: "outbox.send",
        connection: "bot:7",
        chatId: group,
        method: "editForumTopic",
        params: { message_thread_id: 77, name: "🟢 Alice Smith" }
      },
      {
        type: "dialog.statusChanged",
        connection: "bot:7",
        peerId: 42,
        chatId: group,
        threadId: 77,
        status: "answered",
        by: 11
      }
    ])
    expect(status()).toBe("answered")
    // The client writes again: awaiting the team, the AUTOCLOSE timer cancelled.
    expect(
      send(fromClient(3, "Thanks")).map((event) => [event.type, event["method"] ?? event["name"] ?? null])
    ).toEqual([
      ["outbox.send", "copyMessage"],
      ["dialog.clientWrote", null],
      ["timer.cancel", "autoClose"],
      ["outbox.send", "editForumTopic"],
      ["dialog.statusChanged", null]
    ])
    expect(status()).toBe("awaitingTeam")
  })

  it("REPLY_ONLY: only explicit replies to a client's message go to the client", () => {
    const { send, status } = opened()
    expect(calls(send(inTopic(20, "thinking aloud", { settings: { replyOnly: true } })))).toEqual([])
    expect(status()).toBe("awaitingTeam")
    const reply = send(inTopic(21, "Yes, it ships", { settings: { replyOnly: true }, replyTo: 5 }))
    expect(calls(reply)).toEqual(["copyMessage", "editForumTopic"])
  })

  it("/hold, /wait, /close and /info; a closed dialog reopens on the client's next message", () => {
    const { send, status } = opened()
    expect(calls(send(inTopic(30, "/hold")))).toEqual(["editForumTopic"])
    expect(status()).toBe("onHold")
    const wait = send(inTopic(31, "/wait"))
    expect(wait.map((event) => event.type)).toEqual(["timer.set", "outbox.send", "dialog.statusChanged"])
    expect(status()).toBe("answered")
    expect(calls(send(inTopic(32, "/info")))).toEqual(["sendMessage"])
    const close = send(inTopic(33, "/close@backline_bot"))
    expect(
      close.map((event) => [event.type, event["method"] ?? event["name"] ?? event["status"] ?? null])
    ).toEqual([
      ["timer.cancel", "autoClose"],
      ["outbox.send", "closeForumTopic"],
      ["outbox.send", "editForumTopic"],
      ["dialog.statusChanged", "closed"]
    ])
    expect(status()).toBe("closed")
    const back = send(fromClient(4, "One more thing"))
    expect(calls(back)).toEqual(["copyMessage", "reopenForumTopic", "sendMessage", "editForumTopic"])
    expect(status()).toBe("awaitingTeam")
  })

  it("AUTOCLOSE closes an answered dialog when its timer fires; 0 means never", () => {
    const { send, status } = opened()
    send(inTopic(40, "Done"))
    expect(calls(send({ type: "dialog.autoClose" }))).toEqual(["closeForumTopic", "editForumTopic"])
    expect(status()).toBe("closed")
    const never = opened()
    const answer = never.send(inTopic(41, "Done", { settings: { autoCloseHours: 0 } }))
    expect(answer.find((event) => event.type.startsWith("timer."))).toEqual({
      type: "timer.cancel",
      name: "autoClose"
    })
  })

  it("a topic deleted by hand: the next message opens a new topic with the card and a note, then arrives", () => {
    const { send, status, actor } = opened()
    const gone = send({
      type: "delivery.failed",
      method: "copyMessage",
      code: 400,
      description: "Bad Request: message thread not found",
      params: { chat_id: group, from_chat_id: 42, message_id: 5, message_thread_id: 77 }
    })
    expect(calls(gone)).toEqual(["createForumTopic"])
    expect(status()).toBe("opening")
    const again = send({
      type: "dialog.topicCreated",
      result: { message_thread_id: 90, name: "🔴 Alice Smith" }
    })
    expect(again.map((event) => event.type)).toEqual([
      "topic.claim",
      "dialog.topicRecreated",
      "outbox.send",
      "outbox.send",
      "dialog.clientWrote"
    ])
    expect(String((again[2]?.["params"] as { text: string }).text)).toMatch(
      /previous topic of this dialog was deleted/
    )
    expect(again[3]?.["params"]).toEqual({ from_chat_id: 42, message_id: 5, message_thread_id: 90 })
    expect(actor.getSnapshot().context.topics).toBe(2)
  })

  it("a client who blocked the bot: a note in the topic, the dialog marked", () => {
    const { send, actor } = opened()
    const blocked = send({
      type: "delivery.failed",
      method: "copyMessage",
      code: 403,
      description: "Forbidden: bot was blocked by the user",
      params: { chat_id: 42, from_chat_id: group, message_id: 13 }
    })
    expect(blocked.map((event) => event.type)).toEqual(["dialog.clientBlocked", "outbox.send"])
    expect(actor.getSnapshot().context.blocked).toBe(true)
  })

  it("when the topic cannot be created, the next client message asks again", () => {
    const { actor, send } = start()
    send(fromClient(1, "Hello"))
    send({
      type: "delivery.failed",
      method: "createForumTopic",
      code: 400,
      description: "Bad Request: not enough rights"
    })
    expect(actor.getSnapshot().value).toBe("new")
    expect(calls(send(fromClient(2, "Hello?")))).toEqual(["createForumTopic", "sendMessage"])
  })

  it("an album is gathered and sent on together; something else first sends on what was gathered", () => {
    const { send } = opened()
    const part = (id: number, group: string): DialogMessage => {
      const message = fromClient(id, "")
      return { ...message, message: { ...message.message, media_group_id: group } }
    }
    expect(send(part(5, "A")).map((event) => [event.type, event["name"] ?? null])).toEqual([
      ["timer.set", "album"],
      ["dialog.clientWrote", null]
    ])
    expect(calls(send(part(6, "A")))).toEqual([])
    expect(send({ type: "dialog.albumDue" })).toEqual([
      {
        type: "outbox.send",
        connection: "bot:7",
        chatId: group,
        method: "copyMessages",
        params: { from_chat_id: 42, message_ids: [5, 6], message_thread_id: 77 },
        reportFailure: true
      }
    ])
    send(part(7, "B"))
    const next = send(fromClient(8, "and a caption"))
    expect(next.filter((event) => event.type === "outbox.send").map((event) => event["params"])).toEqual([
      { from_chat_id: 42, message_id: 7, message_thread_id: 77 },
      { from_chat_id: 42, message_id: 8, message_thread_id: 77 }
    ])
  })

  it("replies keep their mapping both ways; edits are made in place or noted; reactions are mirrored", () => {
    const { send } = opened()
    const reply = { ...fromClient(9, "this one?"), replyTo: { chatId: group, messageId: 30 } }
    expect(send(reply)[0]?.["params"]).toEqual({
      from_chat_id: 42,
      message_id: 9,
      message_thread_id: 77,
      reply_parameters: { message_id: 30, allow_sending_without_reply: true }
    })
    const answer = { ...inTopic(31, "yes"), replyTo: { chatId: 42, messageId: 9 } }
    expect(send(answer)[0]?.["params"]).toEqual({
      from_chat_id: group,
      message_id: 31,
      reply_parameters: { message_id: 9, allow_sending_without_reply: true }
    })
    const edit = (text: string, counterpart?: { chatId: number; messageId: number }): DialogEvent => ({
      ...fromClient(9, text),
      type: "message.edited",
      ...(counterpart === undefined ? {} : { counterpart })
    })
    expect(send(edit("this one!", { chatId: group, messageId: 40 }))).toEqual([
      {
        type: "outbox.send",
        connection: "bot:7",
        chatId: group,
        method: "editMessageText",
        params: { message_id: 40, text: "this one!" }
      }
    ])
    expect(send(edit("not copied yet"))[0]?.["params"]).toEqual({
      message_thread_id: 77,
      text: "✏️ The client edited a message:\nnot copied yet"
    })
    const operatorEdit: DialogEvent = { ...inTopic(31, "yes, today"), type: "message.edited" }
    expect(calls(send(operatorEdit))).toEqual([])
    expect(calls(send({ ...operatorEdit, counterpart: { chatId: 42, messageId: 50 } }))).toEqual([
      "editMessageText"
    ])
    const reaction: DialogEvent = {
      type: "reaction.changed",
      connection,
      updateId: UpdateId.make(77),
      chat: { id: ChatId.make(42), type: "private" },
      messageId: MessageId.make(50),
      from: client,
      previous: [],
      reactions: [{ type: "emoji", emoji: "👍" }],
      ...inbox(),
      counterpart: { chatId: group, messageId: 31 }
    }
    expect(send(reaction)).toEqual([
      {
        type: "outbox.send",
        connection: "bot:7",
        chatId: group,
        method: "setMessageReaction",
        params: { message_id: 31, reaction: [{ type: "emoji", emoji: "👍" }] }
      }
    ])
  })

  describe("connection settings", () => {
    it("IGNORE_CHATS (Telegram's service account by default) and WHITE_LIST keep clients out silently", () => {
      expect(start().send(fromClient(1, "Hi", { ignoreChats: [42] }))).toEqual([])
      expect(start().send(fromClient(1, "Hi", { whiteList: [7, 8] }))).toEqual([])
      expect(calls(start().send(fromClient(1, "Hi", { whiteList: [42] })))).toEqual([
        "createForumTopic",
        "sendMessage"
      ])
      expect(defaultDialogSettings.ignoreChats).toEqual([777000])
    })

    it("RESTRICTED_KEYWORDS_FRONTEND: not relayed, the client told unless SILENT_MODE", () => {
      const { send } = opened()
      const refused = send(fromClient(3, "Buy CRYPTO now", { restrictedKeywords: ["crypto"] }))
      expect(refused.map((event) => [event["chatId"], event["method"]])).toEqual([[42, "sendMessage"]])
      expect(send(fromClient(4, "crypto!", { restrictedKeywords: ["crypto"], silentMode: true }))).toEqual([])
    })

    it("AUTO_INFO off and HIDE_INFO card leave the card out; HIDE_INFO names shows a stable pseudonym", () => {
      for (const settings of [{ autoInfo: false }, { hideInfo: "card" as const }]) {
        const { send } = start()
        send(fromClient(1, "Hello", settings))
        expect(calls(send(topicCreated))).toEqual(["copyMessage"])
      }
      const hidden = start()
      const asked = hidden.send(fromClient(1, "Hello", { hideInfo: "names" }))
      const title = (asked[0]?.["params"] as { name: string }).name
      expect(title).toMatch(/^🔴 Client [0-9A-Z]{7}$/)
      expect(title).not.toContain("Alice")
      const card = hidden.send(topicCreated).find((event) => event["method"] === "sendMessage")
      expect((card?.["params"] as { text: string }).text).not.toMatch(/Alice|alice|42/)
      expect(start().send(fromClient(1, "Hello", { hideInfo: "names" }))[0]?.["params"]).toEqual(
        asked[0]?.["params"]
      )
    })

    it("LEAVE_CLOSED private: a closed dialog takes the message but stays closed", () => {
      const { send, status } = opened()
      send(inTopic(50, "/close"))
      expect(calls(send(fromClient(5, "still there?", { leaveClosed: ["private"] })))).toEqual([
        "copyMessage"
      ])
      expect(status()).toBe("closed")
    })

    it("a client flooding (more than 20 messages a minute) is muted for 10 minutes, told once", () => {
      const { send } = opened()
      const at = (id: number, date: number) => {
        const message = fromClient(id, `#${id}`)
        return { ...message, message: { ...message.message, date } }
      }
      for (let id = 2; id <= 21; id++) expect(calls(send(at(id, 1000 + id)))).toEqual(["copyMessage"])
      const muted = send(at(21, 1030))
      expect(muted.map((event) => event.type)).toEqual(["dialog.clientMuted", "outbox.send"])
      expect(muted[1]?.["chatId"]).toBe(42)
      expect(send(at(22, 1100))).toEqual([])
      expect(calls(send(at(23, 1030 + 600)))).toEqual(["copyMessage"])
    })

    it("ICON_COLOR colours new topics", () => {
      const asked = start().send(fromClient(1, "Hello", { iconColor: 0x8eee98 }))
      expect(asked[0]?.["params"]).toEqual({ name: "🔴 Alice Smith", icon_color: 0x8eee98 })
    })
  })

  it("/new opens the topic before the client writes; again, it points to the topic", () => {
    const { send, status } = start()
    const open: DialogEvent = { type: "dialog.open", ...inbox(), by: 11 }
    expect(send(open)).toEqual([
      {
        type: "outbox.send",
        connection: "bot:7",
        chatId: group,
        method: "createForumTopic",
        params: { name: "🔴 Client 42" },
        replyAs: "dialog.topicCreated"
      }
    ])
    expect(calls(send(topicCreated))).toEqual(["sendMessage"])
    expect(status()).toBe("awaitingTeam")
    expect(calls(send(open))).toEqual(["sendMessage"])
  })

  it("texts longer than Telegram allows are split: a long WELCOME, a long edit note", () => {
    expect(splitText("a".repeat(5000)).map((part) => part.length)).toEqual([4096, 904])
    const words = "word ".repeat(1500).trim()
    const parts = splitText(words)
    expect(parts.every((part) => part.length <= 4096 && !part.startsWith(" "))).toBe(true)
    expect(parts.join(" ")).toBe(words)
    const welcomes = start().send(fromClient(1, "Hi", { welcome: words }))
    expect(calls(welcomes)).toEqual(["createForumTopic", "sendMessage", "sendMessage"])
  })

  it("several copies into a deleted topic fail: one new topic, all of them in it, in order; late failures follow", () => {
    const { send, status } = opened()
    const gone = (messageId: number, thread = 77): DialogEvent => ({
      type: "delivery.failed",
      method: "copyMessage",
      code: 400,
      description: "Bad Request: message thread not found",
      params: { chat_id: group, from_chat_id: 42, message_id: messageId, message_thread_id: thread }
    })
    expect(calls(send(gone(5)))).toEqual(["createForumTopic"])
    send(fromClient(7, "and this"))
    expect(send(gone(6))).toEqual([])
    expect(status()).toBe("opening")
    const ready = send({
      type: "dialog.topicCreated",
      result: { message_thread_id: 90, name: "🔴 Alice Smith" }
    })
    expect(ready.find((event) => event["method"] === "copyMessages")?.["params"]).toEqual({
      from_chat_id: 42,
      message_ids: [5, 6, 7],
      message_thread_id: 90
    })
    // A copy into the old topic that fails only now goes to the new one, without another topic.
    expect(
      send(gone(8)).map((event) => [
        event["method"],
        (event["params"] as { message_thread_id?: number }).message_thread_id
      ])
    ).toEqual([["copyMessage", 90]])
  })

  it("an answer deleted with its topic before it was copied is sent again by its content", () => {
    const { send } = opened()
    send(inTopic(60, "It ships today"))
    const failed = send({
      type: "delivery.failed",
      method: "copyMessage",
      code: 400,
      description: "Bad Request: message to copy not found",
      params: { chat_id: 42, from_chat_id: group, message_id: 60 }
    })
    expect(failed).toEqual([
      {
        type: "outbox.send",
        connection: "bot:7",
        chatId: 42,
        method: "sendMessage",
        params: { text: "It ships today" },
        reportFailure: true
      }
    ])
  })

  it("the client card is kept current: a new name edits the card and the topic's title", () => {
    const { send } = opened()
    send({ type: "dialog.cardPosted", messageId: 3 })
    const renamed = fromClient(9, "It's me, with a new name")
    const changed = send({ ...renamed, from: { ...client, first_name: "Alicia", username: "alicia" } })
    expect(
      changed
        .filter((event) => event.type === "outbox.send")
        .map((event) => [event["method"], event["params"]])
    ).toEqual([
      ["copyMessage", { from_chat_id: 42, message_id: 9, message_thread_id: 77 }],
      ["editMessageText", { message_id: 3, text: "👤 Alicia Smith\n@alicia\nid 42\nlanguage en\nvia bot:7" }],
      ["editForumTopic", { message_thread_id: 77, name: "🔴 Alicia Smith" }]
    ])
    // Nothing changed: nothing edited.
    expect(
      calls(
        send({ ...fromClient(10, "again"), from: { ...client, first_name: "Alicia", username: "alicia" } })
      )
    ).toEqual(["copyMessage"])
  })

  describe("dialog.answer (a plugin answering for the team)", () => {
    const assistant = { id: 11, is_bot: false, first_name: "Olga" }
    const posted = (messageId: number, text: string): DialogEvent => ({
      type: "dialog.answerPosted",
      messageId,
      result: { text }
    })

    it("is posted in the topic after a note, then copied from there to the client as an operator's answer", () => {
      const { send, status, actor } = opened()
      const asked = send({ type: "dialog.answer", text: " It ships today ", by: assistant, via: "assist" })
      expect(asked.map((event) => [event.type, event["method"] ?? event["name"] ?? null])).toEqual([
        ["outbox.send", "sendMessage"],
        ["outbox.send", "sendMessage"],
        ["timer.set", "autoClose"],
        ["outbox.send", "editForumTopic"],
        ["dialog.statusChanged", null]
      ])
      expect(asked[0]?.["params"]).toEqual({
        message_thread_id: 77,
        text: "✉️ Sent to the client by Olga through assist:"
      })
      expect(asked[1]).toMatchObject({
        chatId: group,
        params: { message_thread_id: 77, text: "It ships today" },
        replyAs: "dialog.answerPosted"
      })
      expect(asked[3]?.["params"]).toEqual({ message_thread_id: 77, name: "🟢 Alice Smith" })
      expect(asked[4]).toMatchObject({ status: "answered", by: 11 })
      expect(status()).toBe("answered")
      expect(send(posted(90, "It ships today"))).toEqual([
        {
          type: "outbox.send",
          connection: "bot:7",
          chatId: 42,
          method: "copyMessage",
          params: { from_chat_id: group, message_id: 90 },
          reportFailure: true
        },
        {
          type: "dialog.teamAnswered",
          connection: "bot:7",
          peerId: 42,
          chatId: group,
          threadId: 77,
          messageId: 90,
          by: 11,
          text: "It ships today"
        }
      ])
      expect(actor.getSnapshot().context.answering).toEqual([])
      // Kept for sending again by content, like an operator's answer.
      expect(actor.getSnapshot().context.answers.at(-1)).toEqual({
        messageId: 90,
        method: "sendMessage",
        params: { text: "It ships today" }
      })
      // A second mail for the same answer copies nothing more.
      expect(send(posted(90, "It ships today"))).toEqual([])
    })

    it("replying to the plugin's message there is no note; each answer keeps its sender", () => {
      const { send } = opened()
      const first = send({ type: "dialog.answer", text: "One", by: assistant, replyTo: 55 })
      expect(calls(first)).toEqual(["sendMessage", "editForumTopic"])
      expect(first[0]?.["params"]).toEqual({
        message_thread_id: 77,
        text: "One",
        reply_parameters: { message_id: 55, allow_sending_without_reply: true }
      })
      send({ type: "dialog.answer", text: "Two", by: { ...assistant, id: 12 }, replyTo: 56 })
      expect(send(posted(92, "Two")).find((event) => event.type === "dialog.teamAnswered")).toMatchObject({
        messageId: 92,
        by: 12
      })
      expect(send(posted(91, "One")).find((event) => event.type === "dialog.teamAnswered")).toMatchObject({
        messageId: 91,
        by: 11
      })
    })

    it("an empty answer, or one before the topic exists, does nothing; a closed dialog stays closed", () => {
      const dialog = opened()
      expect(dialog.send({ type: "dialog.answer", text: "  ", by: assistant })).toEqual([])
      expect(dialog.status()).toBe("awaitingTeam")
      const early = start()
      early.send(fromClient(1, "Hello"))
      expect(early.send({ type: "dialog.answer", text: "Hi", by: assistant })).toEqual([])
      dialog.send(inTopic(20, "/close"))
      expect(calls(dialog.send({ type: "dialog.answer", text: "Late", by: assistant }))).toEqual([
        "sendMessage",
        "sendMessage"
      ])
      expect(dialog.status()).toBe("closed")
      expect(dialog.actor.getSnapshot().value).toBe("closed")
    })

    it("a dialog snapshot of version 1 is lifted to 2 with no answers pending; an unknown one is refused", () => {
      const { actor } = opened()
      const persisted = actor.getPersistedSnapshot() as unknown as { context: Record<string, unknown> }
      const { answering: _, ...v1 } = persisted.context
      const lifted = machines.dialog.migrate({ ...persisted, context: v1 }, 1) as typeof persisted
      expect(machines.dialog.version).toBe(2)
      expect(lifted.context).toEqual(persisted.context)
      const restored = createActor(dialogMachine, {
        input: { key: "dialog:bot:7:42" },
        snapshot: lifted as never
      })
      restored.start()
      restored.send({ type: "dialog.answer", text: "Back", by: assistant })
      expect(restored.getSnapshot().context.status).toBe("answered")
      expect(machines.dialog.migrate(persisted, 3)).toBeUndefined()
    })

    it("a client who blocked the bot: the copy's refusal is noted as for an operator's answer", () => {
      const { send, actor } = opened()
      send({ type: "dialog.answer", text: "Hi", by: assistant })
      send(posted(90, "Hi"))
      const refused = send({
        type: "delivery.failed",
        method: "copyMessage",
        code: 403,
        description: "Forbidden: bot was blocked by the user",
        params: { chat_id: 42, from_chat_id: group, message_id: 90 }
      })
      expect(refused.map((event) => event.type)).toEqual(["dialog.clientBlocked", "outbox.send"])
      expect(actor.getSnapshot().context.blocked).toBe(true)
    })
  })
})
