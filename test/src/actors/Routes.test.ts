import { describe, expect, it } from "vitest"
import { routeOf, type RouteContext } from "../../../src/actors/Routes.ts"
import { defaultDialogSettings } from "../../../src/domain/DialogSettings.ts"
import { MessageId, UpdateId, type DomainEvent } from "../../../src/domain/Events.ts"
import { ChatId, ConnectionId, TopicId, UserId } from "../../../src/domain/Ids.ts"

const group = -1001
const inbox = { backendGroup: group, settings: defaultDialogSettings }
const context: RouteContext = {
  inboxes: new Map([
    ["bot:1", inbox],
    ["bot:2", inbox]
  ]),
  topicOwners: new Map([[`${group}:77`, "dialog:bot:2:42"]])
}

const message = (connection: string, chat: number, threadId?: number): DomainEvent => ({
  type: "message.received",
  connection: ConnectionId.make(connection),
  updateId: UpdateId.make(1),
  chat: { id: ChatId.make(chat), type: chat > 0 ? "private" : "supergroup" },
  ...(threadId === undefined ? {} : { threadId: TopicId.make(threadId) }),
  from: { id: UserId.make(chat > 0 ? chat : 11), is_bot: false, first_name: "Ann" },
  messageId: MessageId.make(5),
  message: { message_id: 5, date: 0, chat: { id: chat, type: "private", first_name: "Ann" }, text: "hi" }
})

describe("routeOf", () => {
  it("a private chat goes to the connection's dialog with its inbox; without a backend group, nowhere", () => {
    expect(routeOf(message("bot:2", 42), context)).toEqual([
      "dialog:bot:2:42",
      { ...message("bot:2", 42), ...inbox }
    ])
    expect(routeOf(message("bot:9", 42), context)).toBeUndefined()
  })

  it("a claimed topic goes to its dialog, only from the dialog's own bot", () => {
    expect(routeOf(message("bot:2", group, 77), context)?.[0]).toBe("dialog:bot:2:42")
    expect(routeOf(message("bot:1", group, 77), context)).toBeUndefined()
  })

  it("the rest of a backend group goes to the group actor once: from its first bot", () => {
    expect(routeOf(message("bot:1", group, 5), context)).toEqual([
      `group:${group}`,
      message("bot:1", group, 5)
    ])
    expect(routeOf(message("bot:2", group, 5), context)).toBeUndefined()
    // A group that is nobody's backend group: every bot's view counts.
    expect(routeOf(message("bot:2", -2002), context)?.[0]).toBe("group:-2002")
  })
})
