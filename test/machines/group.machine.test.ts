import { describe, expect, it } from "vitest"
import { createActor, SimulatedClock } from "xstate"
import type {
  CallbackPressed,
  MemberChanged,
  MessageReceived,
  TopicCreated
} from "../../src/domain/Events.ts"
import { ChatId, ConnectionId, TopicId, UserId } from "../../src/domain/Ids.ts"
import { MessageId, UpdateId } from "../../src/domain/Events.ts"
import { groupMachine, type GroupEmitted, type GroupEvent } from "../../machines/index.ts"

const chat = { id: ChatId.make(-1001), type: "supergroup" as const, title: "Team", is_forum: true }
const origin = { connection: ConnectionId.make("bot:7"), updateId: UpdateId.make(1) }
const alice = { id: UserId.make(11), is_bot: false, first_name: "Alice" }

const created = (threadId: number, name: string): TopicCreated => ({
  type: "topic.created",
  ...origin,
  chat,
  threadId: TopicId.make(threadId),
  name,
  iconColor: 0
})

const member = (status: MemberChanged["newStatus"], oldStatus: MemberChanged["oldStatus"], date: number) =>
  ({
    type: "member.changed",
    ...origin,
    chat,
    from: alice,
    member: alice,
    oldStatus,
    newStatus: status,
    self: false,
    change: {
      chat: { id: -1001, type: "supergroup", title: "Team" },
      from: alice,
      date,
      old_chat_member: { status: "member", user: alice },
      new_chat_member: { status: "member", user: alice }
    }
  }) as unknown as MemberChanged

const bob = { id: UserId.make(12), is_bot: false, first_name: "Bob", username: "bob" }

const message = (
  text: string,
  options: { threadId?: number; from?: typeof alice; messageId?: number; caption?: boolean } = {}
): MessageReceived => {
  const from = options.from ?? bob
  const messageId = options.messageId ?? 100
  return {
    type: "message.received",
    ...origin,
    chat,
    ...(options.threadId !== undefined ? { threadId: TopicId.make(options.threadId) } : {}),
    from,
    messageId: MessageId.make(messageId),
    message: {
      message_id: messageId,
      date: 1,
      chat: { id: -1001, type: "supergroup", title: "Team", is_forum: true },
      from,
      ...(options.caption === true ? { caption: text } : { text })
    }
  }
}

const start = () => {
  const actor = createActor(groupMachine, { input: { key: "group:-1001" }, clock: new SimulatedClock() })
  const emitted: Array<GroupEmitted> = []
  actor.on("*", (event) => emitted.push(event))
  actor.start()
  const send = (event: GroupEvent) => actor.send(event)
  return { actor, emitted, send }
}

describe("groupMachine", () => {
  it("registers topics, keeps their names, kinds and closed flag, and emits each fact", () => {
    const { actor, emitted, send } = start()
    send(created(5, "Support"))
    send({ type: "group.setTopicKind", threadId: 5, kind: "dialog" })
    send({ type: "topic.edited", ...origin, chat, threadId: TopicId.make(5), name: "Support 2" })
    send({ type: "topic.closed", ...origin, chat, threadId: TopicId.make(5) })
    expect(actor.getSnapshot().context.topics["5"]).toEqual({
      threadId: 5,
      name: "Support 2",
      kind: "dialog",
      closed: true
    })
    send({ type: "topic.reopened", ...origin, chat, threadId: TopicId.make(5) })
    expect(actor.getSnapshot().context.topics["5"]?.closed).toBe(false)
    expect(emitted).toEqual([
      { type: "group.topicRegistered", chatId: -1001, threadId: 5, name: "Support", kind: "unknown" },
      { type: "group.topicKindSet", chatId: -1001, threadId: 5, kind: "dialog" },
      { type: "group.topicRenamed", chatId: -1001, threadId: 5, name: "Support 2" },
      { type: "group.topicClosed", chatId: -1001, threadId: 5 },
      { type: "group.topicReopened", chatId: -1001, threadId: 5 }
    ])
  })

  it("keeps a kind set before the topic was seen created, and ignores closing an unknown topic", () => {
    const { actor, emitted, send } = start()
    send({ type: "group.setTopicKind", threadId: 9, kind: "announcements" })
    expect(actor.getSnapshot().context.topics["9"]).toEqual({
      threadId: 9,
      name: null,
      kind: "announcements",
      closed: false
    })
    send(created(9, "News"))
    expect(actor.getSnapshot().context.topics["9"]?.kind).toBe("announcements")
    send({ type: "topic.closed", ...origin, chat, threadId: TopicId.make(77) })
    expect(actor.getSnapshot().context.topics["77"]).toBeUndefined()
    expect(emitted.map((event) => event.type)).toEqual(["group.topicKindSet", "group.topicRegistered"])
  })

  it("caches admins with the time they were learned and emits only real changes", () => {
    const { actor, emitted, send } = start()
    send(member("administrator", "member", 1_700_000_000))
    send(member("administrator", "administrator", 1_700_000_100)) // no change
    expect(actor.getSnapshot().context.admins).toEqual({
      "11": { userId: 11, status: "administrator", learnedAt: 1_700_000_000_000 }
    })
    send(member("member", "administrator", 1_700_000_200))
    expect(actor.getSnapshot().context.admins).toEqual({})
    expect(actor.getSnapshot().context.adminsLearnedAt).toBe(1_700_000_200_000)
    expect(emitted.filter((event) => event.type === "group.adminsChanged")).toEqual([
      { type: "group.adminsChanged", chatId: -1001, admins: [11], learnedAt: 1_700_000_000_000 },
      { type: "group.adminsChanged", chatId: -1001, admins: [], learnedAt: 1_700_000_200_000 }
    ])
  })

  it("tells plugins about every membership change, each before the admin change it makes", () => {
    const { emitted, send } = start()
    send(member("administrator", "member", 1_700_000_000))
    send(member("administrator", "administrator", 1_700_000_100))
    send({ ...member("left", "administrator", 1_700_000_200), self: true })
    const changed = (oldStatus: string, newStatus: string, self: boolean) => ({
      type: "group.memberChanged",
      connection: "bot:7",
      chatId: -1001,
      member: { id: 11, first_name: "Alice", is_bot: false },
      oldStatus,
      newStatus,
      self
    })
    expect(emitted.map((event) => event.type)).toEqual([
      "group.memberChanged",
      "group.adminsChanged",
      "group.memberChanged",
      "group.memberChanged"
    ])
    expect(emitted[0]).toEqual(changed("member", "administrator", false))
    expect(emitted[2]).toEqual(changed("administrator", "administrator", false))
    expect(emitted[3]).toEqual(changed("administrator", "left", true))
  })

  it("tells plugins about a press of an inline button under a message in the group", () => {
    const { emitted, send } = start()
    const pressed = (extra: Partial<CallbackPressed>): CallbackPressed => ({
      type: "callback.pressed",
      ...origin,
      callbackId: "cb1",
      from: bob,
      data: "plugin-admin:retry:tally",
      query: { id: "cb1", from: bob, chat_instance: "1", data: "plugin-admin:retry:tally" },
      ...extra
    })
    send(pressed({ chat, threadId: TopicId.make(5), messageId: MessageId.make(40) }))
    send(pressed({ chat, messageId: MessageId.make(41) }))
    send(pressed({})) // under an inline-mode message: in no chat
    expect(emitted).toEqual([
      {
        type: "group.buttonPressed",
        connection: "bot:7",
        chatId: -1001,
        threadId: 5,
        messageId: 40,
        callbackId: "cb1",
        from: { id: 12, first_name: "Bob", username: "bob", is_bot: false },
        data: "plugin-admin:retry:tally"
      },
      expect.objectContaining({ threadId: 1, messageId: 41 })
    ])
  })

  it("tells plugins about every message: its topic (General when none), the topic's kind and an admin author", () => {
    const { emitted, send } = start()
    send(created(5, "News"))
    send({ type: "group.setTopicKind", threadId: 5, kind: "announcements" })
    send(member("administrator", "member", 1_700_000_000))
    emitted.length = 0
    send(message("hello", { threadId: 5 }))
    send(message("from an admin", { from: alice, messageId: 101 }))
    send(message("a photo's caption", { threadId: 9, messageId: 102, caption: true }))
    // The raw Telegram message travels along; the facts beside it are what plugins read first.
    const facts = emitted.map((event) => ({ ...event, message: undefined }))
    expect(facts).toEqual([
      {
        type: "group.messagePosted",
        connection: "bot:7",
        chatId: -1001,
        threadId: 5,
        messageId: 100,
        from: { id: 12, first_name: "Bob", username: "bob", is_bot: false },
        text: "hello",
        topicKind: "announcements",
        fromAdmin: false,
        message: undefined
      },
      {
        type: "group.messagePosted",
        connection: "bot:7",
        chatId: -1001,
        threadId: 1,
        messageId: 101,
        from: { id: 11, first_name: "Alice", is_bot: false },
        text: "from an admin",
        topicKind: "general",
        fromAdmin: true,
        message: undefined
      },
      expect.objectContaining({ threadId: 9, text: "a photo's caption", topicKind: "unknown" })
    ])
    expect(emitted[0]).toMatchObject({ message: { message_id: 100, text: "hello" } })
  })

  it("emits a command after its message: name without the bot's username, trimmed arguments", () => {
    const { emitted, send } = start()
    send(message("/Plugin@backline_bot  enable tasks here ", { threadId: 5 }))
    send(message("/ping"))
    send(message("/ an internal comment"))
    send(message("no /command here"))
    expect(emitted.map((event) => event.type)).toEqual([
      "group.messagePosted",
      "group.commandIssued",
      "group.messagePosted",
      "group.commandIssued",
      "group.messagePosted",
      "group.messagePosted"
    ])
    expect(emitted[1]).toMatchObject({
      type: "group.commandIssued",
      command: "plugin",
      args: "enable tasks here",
      addressedTo: "backline_bot",
      chatId: -1001,
      threadId: 5,
      from: { id: 12 }
    })
    expect(emitted[3]).toMatchObject({ command: "ping", args: "", addressedTo: null, threadId: 1 })
  })

  it("tells plugins about edits, and does not read commands in them", () => {
    const { emitted, send } = start()
    send({ ...message("/ping fixed", { threadId: 5 }), type: "message.edited" })
    expect(emitted).toEqual([
      expect.objectContaining({ type: "group.messageEdited", threadId: 5, text: "/ping fixed" })
    ])
  })
})
