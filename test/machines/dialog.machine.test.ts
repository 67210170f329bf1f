import { describe, expect, it } from "vitest"
import { createActor, SimulatedClock } from "xstate"
import { dialogMachine, type ClientWrote, type DialogEvent } from "../../machines/index.ts"
import { MessageId, UpdateId, type MessageReceived } from "../../src/domain/Events.ts"
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

const fromClient = (messageId: number, text: string): ClientWrote => ({
  type: "message.received",
  connection,
  updateId: UpdateId.make(messageId),
  chat: { id: ChatId.make(42), type: "private" },
  from: client,
  messageId: MessageId.make(messageId),
  message: { message_id: messageId, date: 0, chat: { id: 42, type: "private", first_name: "Alice" }, text },
  backendGroup: group
})

const inTopic = (
  messageId: number,
  text: string,
  from: MessageReceived["from"] = operator
): MessageReceived => ({
  type: "message.received",
  connection,
  updateId: UpdateId.make(1000 + messageId),
  chat: { id: ChatId.make(group), type: "supergroup", is_forum: true },
  threadId: TopicId.make(77),
  ...(from === undefined ? {} : { from }),
  messageId: MessageId.make(messageId),
  message: { message_id: messageId, date: 0, chat: { id: group, type: "supergroup", title: "Team" }, text }
})

const start = () => {
  const actor = createActor(dialogMachine, { input: { key: "dialog:bot:7:42" }, clock: new SimulatedClock() })
  const emitted: Array<{ type: string } & Record<string, unknown>> = []
  actor.on("*", (event) => emitted.push(event as never))
  actor.start()
  const send = (event: DialogEvent) => {
    emitted.length = 0
    actor.send(event)
    return [...emitted]
  }
  return { actor, send }
}

const topicCreated: DialogEvent = {
  type: "dialog.topicCreated",
  result: { message_thread_id: 77, name: "Alice Smith" }
}

describe("dialog machine", () => {
  it("a bare /start opens nothing; /start <param> is kept for the card", () => {
    const { actor, send } = start()
    expect(send(fromClient(1, "/start"))).toEqual([])
    expect(send(fromClient(2, "/start promo-7"))).toEqual([])
    expect(actor.getSnapshot().value).toBe("new")
    expect(actor.getSnapshot().context.startParam).toBe("promo-7")
  })

  it("the first real message asks for a topic; messages wait for it and follow the card in order", () => {
    const { actor, send } = start()
    expect(send(fromClient(1, "Hello"))).toEqual([
      {
        type: "outbox.send",
        connection: "bot:7",
        chatId: group,
        method: "createForumTopic",
        params: { name: "Alice Smith" },
        replyAs: "dialog.topicCreated"
      }
    ])
    expect(send(fromClient(2, "Anyone?"))).toEqual([])
    const opened = send(topicCreated)
    expect(opened.map((event) => [event.type, event["method"] ?? null])).toEqual([
      ["topic.claim", null],
      ["dialog.opened", null],
      ["outbox.send", "sendMessage"],
      ["outbox.send", "copyMessage"],
      ["dialog.clientWrote", null],
      ["outbox.send", "copyMessage"],
      ["dialog.clientWrote", null]
    ])
    expect(opened[2]?.["params"]).toEqual({
      message_thread_id: 77,
      text: "👤 Alice Smith\n@alice\nid 42\nlanguage en\nvia bot:7"
    })
    expect(
      opened.filter((event) => event["method"] === "copyMessage").map((event) => event["params"])
    ).toEqual([
      { from_chat_id: 42, message_id: 1, message_thread_id: 77 },
      { from_chat_id: 42, message_id: 2, message_thread_id: 77 }
    ])
    expect(actor.getSnapshot().value).toBe("awaitingTeam")
  })

  it("an operator's answer goes to the client; commands, comments and bots' messages do not", () => {
    const { actor, send } = start()
    send(fromClient(1, "Hello"))
    send(topicCreated)
    expect(send(inTopic(10, "/ internal note"))).toEqual([])
    expect(send(inTopic(11, "/close"))).toEqual([])
    expect(send(inTopic(12, "posted by a bot", { ...operator, is_bot: true }))).toEqual([])
    expect(actor.getSnapshot().value).toBe("awaitingTeam")
    const answered = send(inTopic(13, "It ships today"))
    expect(answered).toEqual([
      {
        type: "outbox.send",
        connection: "bot:7",
        chatId: 42,
        method: "copyMessage",
        params: { from_chat_id: group, message_id: 13 }
      },
      {
        type: "dialog.teamAnswered",
        connection: "bot:7",
        peerId: 42,
        chatId: group,
        threadId: 77,
        messageId: 13,
        by: 11
      }
    ])
    expect(actor.getSnapshot().value).toBe("answered")
    expect(send(fromClient(3, "Thanks")).map((event) => event.type)).toEqual([
      "outbox.send",
      "dialog.clientWrote"
    ])
    expect(actor.getSnapshot().value).toBe("awaitingTeam")
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
    expect(send(fromClient(2, "Hello?")).map((event) => event["method"])).toEqual(["createForumTopic"])
  })
})
