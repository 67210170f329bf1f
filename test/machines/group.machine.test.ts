import { describe, expect, it } from "vitest"
import { createActor, SimulatedClock } from "xstate"
import type { MemberChanged, TopicCreated } from "../../src/domain/Events.ts"
import { ChatId, ConnectionId, TopicId, UserId } from "../../src/domain/Ids.ts"
import { UpdateId } from "../../src/domain/Events.ts"
import { groupMachine, type EmittedBy, type GroupEvent } from "../../machines/index.ts"

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

const start = () => {
  const actor = createActor(groupMachine, { input: { key: "group:-1001" }, clock: new SimulatedClock() })
  const emitted: Array<EmittedBy<"group">> = []
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
    expect(emitted).toEqual([
      { type: "group.adminsChanged", chatId: -1001, admins: [11], learnedAt: 1_700_000_000_000 },
      { type: "group.adminsChanged", chatId: -1001, admins: [], learnedAt: 1_700_000_200_000 }
    ])
  })
})
