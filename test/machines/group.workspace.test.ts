import { describe, expect, it } from "vitest"
import { createActor, SimulatedClock } from "xstate"
import type { TopicCreated } from "../../src/domain/Events.ts"
import { UpdateId } from "../../src/domain/Events.ts"
import { ChatId, ConnectionId, TopicId } from "../../src/domain/Ids.ts"
import { groupMachine, machines, type GroupEmitted, type GroupEvent } from "../../machines/index.ts"

const chat = { id: ChatId.make(-1001), type: "supergroup" as const, title: "Team", is_forum: true }
const origin = { connection: ConnectionId.make("bot:7"), updateId: UpdateId.make(1) }

const created = (threadId: number, name: string): TopicCreated => ({
  type: "topic.created",
  ...origin,
  chat,
  threadId: TopicId.make(threadId),
  name,
  iconColor: 0
})

const createTasks: GroupEvent = {
  type: "group.createTopic",
  connection: "bot:7",
  kind: "tasks",
  name: "Tasks",
  iconColor: 0x8eee98
}

const made = (threadId: number, name: string): GroupEvent => ({
  type: "group.topicMade",
  result: { message_thread_id: threadId, name }
})

type Persisted = ReturnType<ReturnType<typeof createActor<typeof groupMachine>>["getPersistedSnapshot"]>

const start = (snapshot?: Persisted) => {
  const actor = createActor(groupMachine, {
    input: { key: "group:-1001" },
    clock: new SimulatedClock(),
    ...(snapshot === undefined ? {} : { snapshot })
  })
  const emitted: Array<GroupEmitted> = []
  actor.on("*", (event) => emitted.push(event))
  actor.start()
  const send = (event: GroupEvent) => actor.send(event)
  return { actor, emitted, send }
}

describe("groupMachine, workspace topics", () => {
  it("asks Telegram once for a topic of a kind, and records the kind of the topic Telegram made", () => {
    const { actor, emitted, send } = start()
    send(createTasks)
    send(createTasks) // asked again before Telegram answered: nothing more
    expect(emitted).toEqual([
      {
        type: "outbox.send",
        connection: "bot:7",
        chatId: -1001,
        method: "createForumTopic",
        params: { name: "Tasks", icon_color: 0x8eee98 },
        replyAs: "group.topicMade",
        reportFailure: true
      }
    ])
    expect(actor.getSnapshot().context.pending).toEqual({ Tasks: { kind: "tasks", connection: "bot:7" } })
    send(made(40, "Tasks"))
    send(created(40, "Tasks")) // a service message after the answer (Telegram sends none to the bot itself)
    send(createTasks) // the group has a tasks topic now: nothing
    expect(actor.getSnapshot().context.pending).toEqual({})
    expect(actor.getSnapshot().context.topics["40"]).toEqual({
      threadId: 40,
      name: "Tasks",
      kind: "tasks",
      closed: false
    })
    expect(emitted.slice(1)).toEqual([
      { type: "group.topicRegistered", chatId: -1001, threadId: 40, name: "Tasks", kind: "tasks" },
      { type: "group.topicKindSet", chatId: -1001, threadId: 40, kind: "tasks" }
    ])
  })

  it("records the kind when Telegram's service message came before the answer", () => {
    const { actor, emitted, send } = start()
    send(createTasks)
    send(created(40, "Tasks"))
    send(made(40, "Tasks"))
    expect(actor.getSnapshot().context.topics["40"]?.kind).toBe("tasks")
    expect(emitted.slice(1)).toEqual([
      { type: "group.topicRegistered", chatId: -1001, threadId: 40, name: "Tasks", kind: "unknown" },
      { type: "group.topicKindSet", chatId: -1001, threadId: 40, kind: "tasks" }
    ])
  })

  it("reuses a topic adopted as the kind; an answer it did not ask for (the API's) registers a topic of no kind", () => {
    const { actor, emitted, send } = start()
    send(created(9, "Our tasks"))
    send({ type: "group.setTopicKind", threadId: 9, kind: "tasks" })
    emitted.length = 0
    send(createTasks)
    expect(emitted).toEqual([])
    send(made(50, "Somebody else's"))
    send(made(50, "Somebody else's")) // the same answer again: known already
    expect(emitted).toEqual([
      { type: "group.topicRegistered", chatId: -1001, threadId: 50, name: "Somebody else's", kind: "unknown" }
    ])
    expect(actor.getSnapshot().context.topics["50"]?.kind).toBe("unknown")
  })

  it("creates a topic of no kind once per name while Telegram has not answered, and registers it", () => {
    const { actor, emitted, send } = start()
    const alerts: GroupEvent = { type: "group.createTopic", connection: "bot:7", name: "Alerts" }
    send(alerts)
    send(alerts) // asked again before Telegram answered: nothing more
    send({ type: "group.createTopic", connection: "bot:7", name: "Deploys", iconCustomEmojiId: "5312" })
    expect(emitted).toEqual([
      {
        type: "outbox.send",
        connection: "bot:7",
        chatId: -1001,
        method: "createForumTopic",
        params: { name: "Alerts" },
        replyAs: "group.topicMade",
        reportFailure: true
      },
      {
        type: "outbox.send",
        connection: "bot:7",
        chatId: -1001,
        method: "createForumTopic",
        params: { name: "Deploys", icon_custom_emoji_id: "5312" },
        replyAs: "group.topicMade",
        reportFailure: true
      }
    ])
    expect(actor.getSnapshot().context.pending).toEqual({
      Alerts: { kind: "unknown", connection: "bot:7" },
      Deploys: { kind: "unknown", connection: "bot:7" }
    })
    // A kind-less topic does not stand in for a kind: the tasks topic is still asked for.
    send(createTasks)
    emitted.length = 0
    send(made(61, "Alerts"))
    expect(emitted).toEqual([
      { type: "group.topicRegistered", chatId: -1001, threadId: 61, name: "Alerts", kind: "unknown" }
    ])
    expect(Object.keys(actor.getSnapshot().context.pending)).toEqual(["Deploys", "Tasks"])
    // Once answered, the name may be asked for again (a second topic of that name).
    emitted.length = 0
    send(alerts)
    expect(emitted).toEqual([
      expect.objectContaining({ method: "createForumTopic", params: { name: "Alerts" } })
    ])
  })

  it("forgets a topic Telegram refused and says so; the next request asks again", () => {
    const { actor, emitted, send } = start()
    send(createTasks)
    send({
      type: "delivery.failed",
      method: "createForumTopic",
      code: 400,
      description: "Bad Request: not enough rights to create a topic",
      params: { chat_id: -1001, name: "Tasks" }
    })
    send({ type: "delivery.failed", method: "sendMessage", code: 403, description: "Forbidden" })
    expect(actor.getSnapshot().context.pending).toEqual({})
    expect(emitted.slice(1)).toEqual([
      {
        type: "group.topicCreationFailed",
        chatId: -1001,
        kind: "tasks",
        name: "Tasks",
        description: "Bad Request: not enough rights to create a topic"
      }
    ])
    send(createTasks)
    expect(emitted.at(-1)).toMatchObject({ type: "outbox.send", method: "createForumTopic" })
    // A topic of no kind (a plugin's) refused: said with kind unknown, and no longer pending.
    send({ type: "group.createTopic", connection: "bot:7", name: "Alerts" })
    send({
      type: "delivery.failed",
      method: "createForumTopic",
      code: 400,
      description: "Bad Request: TOPIC_NAME_INVALID",
      params: { chat_id: -1001, name: "Alerts" }
    })
    expect(emitted.at(-1)).toEqual({
      type: "group.topicCreationFailed",
      chatId: -1001,
      kind: "unknown",
      name: "Alerts",
      description: "Bad Request: TOPIC_NAME_INVALID"
    })
    expect(Object.keys(actor.getSnapshot().context.pending)).toEqual(["Tasks"])
  })

  it("keeps a pending topic across a restart (persisted snapshot), and the answer still lands", () => {
    const first = start()
    first.send(createTasks)
    const persisted = first.actor.getPersistedSnapshot()
    first.actor.stop()
    const { actor, emitted, send } = start(JSON.parse(JSON.stringify(persisted)) as Persisted)
    send(createTasks)
    send(made(40, "Tasks"))
    expect(emitted).toEqual([
      { type: "group.topicRegistered", chatId: -1001, threadId: 40, name: "Tasks", kind: "tasks" },
      { type: "group.topicKindSet", chatId: -1001, threadId: 40, kind: "tasks" }
    ])
    expect(actor.getSnapshot().context.topics["40"]?.kind).toBe("tasks")
  })

  it("lifts a version 1 snapshot (no pending topics) to version 2, and rejects other versions", () => {
    const entry = machines.group
    expect(entry.version).toBe(2)
    const fresh = start().actor.getPersistedSnapshot() as unknown as { context: Record<string, unknown> }
    const { pending: _none, ...context } = fresh.context
    const v1 = JSON.parse(JSON.stringify({ ...fresh, context })) as unknown
    const lifted = entry.migrate(v1, 1) as { context: { pending: unknown } }
    expect(lifted.context.pending).toEqual({})
    expect(entry.migrate(v1, 7)).toBeUndefined()
    const { actor, send } = start(lifted as never)
    send(createTasks)
    expect(actor.getSnapshot().context.pending).toEqual({ Tasks: { kind: "tasks", connection: "bot:7" } })
  })
})
