import { Either, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { decodeUpdate, DomainEvent, updateIdOf, type UpdateMalformed } from "../../../src/domain/Events.ts"
import { ConnectionId } from "../../../src/domain/Ids.ts"

const connection = ConnectionId.make("bot:7000000001")
const alice = { id: 1000004, is_bot: false, first_name: "Alice", username: "alice_client" }
const privateChat = { id: 1000004, type: "private", first_name: "Alice" }
const forum = { id: -1001000000001, type: "supergroup", title: "Backline Demo", is_forum: true }

const events = (update: unknown) => Either.getOrThrow(decodeUpdate(connection, update))
const failure = (update: unknown) =>
  Either.match(decodeUpdate(connection, update), {
    onLeft: (error: UpdateMalformed) => error,
    onRight: () => expect.unreachable("decoded")
  })

describe("decodeUpdate", () => {
  it("makes message.received with chat, sender and the original message, and no thread outside forums", () => {
    const message = { message_id: 5, date: 1, chat: privateChat, from: alice, text: "hello", extra: [1] }
    const [event, ...rest] = events({ update_id: 10, message })
    expect(rest).toEqual([])
    expect(event).toEqual({
      type: "message.received",
      connection,
      updateId: 10,
      chat: { id: 1000004, type: "private" },
      from: alice,
      messageId: 5,
      message
    })
    expect(event?.type === "message.received" && event.message).toBe(message) // untouched, same object
  })

  it("gives the forum topic as threadId only for topic messages, not for reply threads", () => {
    const inTopic = { message_id: 9, date: 1, chat: forum, from: alice, text: "x" }
    const [topic] = events({
      update_id: 1,
      message: { ...inTopic, message_thread_id: 7, is_topic_message: true }
    })
    expect(topic).toMatchObject({
      type: "message.received",
      threadId: 7,
      chat: { id: forum.id, is_forum: true }
    })
    const [reply] = events({ update_id: 2, message: { ...inTopic, message_thread_id: 7 } })
    expect(reply).not.toHaveProperty("threadId")
    const [edited] = events({ update_id: 3, edited_message: { ...inTopic, edit_date: 2 } })
    expect(edited).toMatchObject({ type: "message.edited", messageId: 9, updateId: 3 })
  })

  it("turns forum service messages into topic events instead of messages", () => {
    const service = { date: 1, chat: forum, from: alice, message_thread_id: 12, is_topic_message: true }
    const decoded = [
      { message_id: 12, forum_topic_created: { name: "Orders", icon_color: 7322096 } },
      { message_id: 13, forum_topic_edited: { name: "Orders (old)" } },
      { message_id: 14, forum_topic_closed: {} },
      { message_id: 15, forum_topic_reopened: {} }
    ].flatMap((fields, index) => events({ update_id: 20 + index, message: { ...service, ...fields } }))
    expect(decoded.map((event) => event.type)).toEqual([
      "topic.created",
      "topic.edited",
      "topic.closed",
      "topic.reopened"
    ])
    expect(decoded[0]).toEqual({
      type: "topic.created",
      connection,
      updateId: 20,
      chat: { id: forum.id, type: "supergroup", title: "Backline Demo", is_forum: true },
      threadId: 12,
      from: alice,
      name: "Orders",
      iconColor: 7322096
    })
    expect(decoded[1]).toMatchObject({ threadId: 12, name: "Orders (old)" })
    expect(decoded[1]).not.toHaveProperty("iconCustomEmojiId")
  })

  it("decodes callbacks, reactions, member changes and channel posts", () => {
    const botMessage = { message_id: 3, date: 1, chat: privateChat, text: "Pick one" }
    const [callback] = events({
      update_id: 30,
      callback_query: { id: "cb1", from: alice, chat_instance: "1", data: "yes", message: botMessage }
    })
    expect(callback).toMatchObject({ type: "callback.pressed", callbackId: "cb1", data: "yes", messageId: 3 })
    const [reaction] = events({
      update_id: 31,
      message_reaction: {
        chat: privateChat,
        message_id: 3,
        user: alice,
        date: 1,
        old_reaction: [],
        new_reaction: [{ type: "emoji", emoji: "👍" }]
      }
    })
    expect(reaction).toMatchObject({ type: "reaction.changed", previous: [], reactions: [{ emoji: "👍" }] })
    const bot = { id: 7000000001, is_bot: true, first_name: "Backline" }
    const change = {
      chat: privateChat,
      from: alice,
      date: 1,
      old_chat_member: { status: "member", user: bot },
      new_chat_member: { status: "kicked", user: bot, until_date: 0 }
    }
    const [mine] = events({ update_id: 32, my_chat_member: change })
    expect(mine).toMatchObject({
      type: "member.changed",
      self: true,
      oldStatus: "member",
      newStatus: "kicked"
    })
    const [theirs] = events({ update_id: 33, chat_member: { ...change, chat: forum } })
    expect(theirs).toMatchObject({ type: "member.changed", self: false, member: bot, from: alice })
    const channel = { id: -1002000000001, type: "channel", title: "News" }
    const [post] = events({
      update_id: 34,
      channel_post: { message_id: 1, date: 1, chat: channel, text: "!" }
    })
    expect(post).toMatchObject({ type: "channel.posted", chat: channel, messageId: 1 })
  })

  it("gives no events for kinds Backline does not handle", () => {
    expect(events({ update_id: 40, poll: { id: "p" } })).toEqual([])
    expect(events({ update_id: 41, edited_channel_post: { message_id: 1 } })).toEqual([])
  })

  it("names the missing or wrong fields of a malformed update in one line", () => {
    const error = failure({ update_id: 50, message: { message_id: "x", date: 1, chat: { type: "private" } } })
    expect(error._tag).toBe("UpdateMalformed")
    expect(error.reason).toContain('message.message_id: Expected number, actual "x"')
    expect(error.reason).toContain("message.chat.id: is missing")
    expect(error.reason).not.toContain("\n")
    expect(failure({ message: {} }).reason).toContain("update_id: is missing")
    expect(failure("not an update").reason).toMatch(/^update: /)
  })

  it("reads the update id even of a malformed update", () => {
    expect(updateIdOf({ update_id: 7, message: "garbage" })).toBe(7)
    expect(updateIdOf({ update_id: "7" })).toBeUndefined()
    expect(updateIdOf(null)).toBeUndefined()
  })

  it("round-trips events through the DomainEvent schema (as the journal stores them)", () => {
    const [event] = events({
      update_id: 60,
      message: { message_id: 1, date: 1, chat: privateChat, text: "hi" }
    })
    const json = JSON.parse(JSON.stringify(Schema.encodeSync(DomainEvent)(event!))) as unknown
    expect(Schema.decodeUnknownSync(DomainEvent)(json)).toEqual(event)
    expect(() =>
      Schema.decodeUnknownSync(DomainEvent)({ ...(json as object), type: "message.lost" })
    ).toThrow()
  })
})
