import { Either } from "effect"
import { describe, expect, it } from "vitest"
import type { JournalRow } from "../../../src/plugins/PluginJournal.ts"
import { outboundOf, parseEvents } from "../../../src/webhooks/WebhookEvents.ts"

const row = (actorKey: string, type: string, event: Record<string, unknown>): JournalRow => ({
  txid: "1",
  seq: 1,
  actorKey,
  cause: "inbox:bot:1/5",
  type,
  chatId: typeof event["chatId"] === "number" ? event["chatId"] : null,
  event: { type, ...event }
})
const ref = { connection: "bot:1", peerId: 7, chatId: -1001, threadId: 42 }
const none = { previousStatus: undefined, message: undefined }

describe("which journal rows are webhook events", () => {
  it("a dialog's facts, reopening only from closed, the tasks plugin's as task.changed, other plugins' by name", () => {
    const dialog = "dialog:bot:1:7"
    expect(outboundOf(row(dialog, "dialog.opened", { ...ref, client: null }), none)?.type).toBe(
      "dialog.opened"
    )
    const status = (value: string, previousStatus: string | undefined) =>
      outboundOf(row(dialog, "dialog.statusChanged", { ...ref, status: value, by: null }), {
        previousStatus,
        message: undefined
      })?.type
    expect(status("closed", "answered")).toBe("dialog.closed")
    expect(status("awaitingTeam", "closed")).toBe("dialog.reopened")
    expect(status("awaitingTeam", "answered")).toBeUndefined()
    expect(status("onHold", "awaitingTeam")).toBeUndefined()
    const received = outboundOf(row(dialog, "dialog.clientWrote", { ...ref, messageId: 9 }), {
      previousStatus: undefined,
      message: { message_id: 3, caption: "a photo" }
    })
    expect(received).toEqual({
      type: "message.received",
      chatId: -1001,
      data: { ...ref, messageId: 9, text: "a photo", message: { message_id: 3, caption: "a photo" } }
    })
    expect(outboundOf(row(dialog, "dialog.teamAnswered", { ...ref, messageId: 9, by: 3 }), none)?.type).toBe(
      "message.sent"
    )
    // A plugin's answer through the dialog is the bot's own message: its text comes with the fact.
    const pluginAnswer = { ...ref, messageId: 10, by: 3, text: "Shipped today" }
    expect(outboundOf(row(dialog, "dialog.teamAnswered", pluginAnswer), none)?.data).toMatchObject({
      text: "Shipped today",
      message: null
    })
    expect(outboundOf(row("plugin:tasks", "tasks.changed", { chatId: -1001, task: 1 }), none)?.type).toBe(
      "task.changed"
    )
    expect(
      outboundOf(row("plugin:announcements", "announcements.posted", { chatId: -1001 }), none)?.type
    ).toBe("announcements.posted")
    // Not an event a plugin emitted (its own timer), a group's fact, an event of no group.
    expect(outboundOf(row("plugin:tasks", "timer.fired", { chatId: -1001 }), none)).toBeUndefined()
    expect(outboundOf(row("group:-1001", "group.messagePosted", { chatId: -1001 }), none)).toBeUndefined()
    expect(outboundOf(row("plugin:polls", "polls.closed", { votes: 3 }), none)).toBeUndefined()
  })

  it("a subscription names Backline's events or plugins' <plugin>.<fact>; anything else is refused, named", () => {
    expect(parseEvents("dialog.opened, message.sent,polls.closed")).toEqual(
      Either.right(["dialog.opened", "message.sent", "polls.closed"])
    )
    expect(Either.getLeft(parseEvents(""))._tag).toBe("Some")
    expect(
      Either.getLeft(parseEvents("group.messagePosted")).pipe((left) => left._tag === "Some" && left.value)
    ).toContain('"group.messagePosted" is not an event')
    expect(Either.getLeft(parseEvents("tasks.changed"))).toEqual(
      Either.getLeft(Either.left('"tasks.changed" is named task.changed here'))
    )
    expect(Either.isLeft(parseEvents("dialog.statusChanged"))).toBe(true)
    expect(Either.isLeft(parseEvents("Polls.closed"))).toBe(true)
  })
})
