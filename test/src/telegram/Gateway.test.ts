import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Option, Redacted, Scope, Stream } from "effect"
import { Api } from "grammy"
import pg from "pg"
import { describe, expect } from "vitest"
import { AppConfig } from "../../../src/Config.ts"
import { ConnectionId } from "../../../src/domain/Ids.ts"
import { demoWorld } from "../../../src/sandbox/Demo.ts"
import { Connections } from "../../../src/telegram/Connections.ts"
import { Gateway } from "../../../src/telegram/Gateway.ts"
import { Inbox } from "../../../src/telegram/Inbox.ts"
import { Polling } from "../../../src/telegram/Polling.ts"
import { BacklineProcess } from "../../support/Backline.ts"
import { createTestDatabase } from "../../support/Database.ts"
import { testConfig } from "../../support/Config.ts"
import {
  eventsOf,
  eventually,
  fast,
  inboxRows,
  messageRows,
  MigratedDatabase,
  pendingAtTelegram,
  sandbox
} from "../../support/Gateway.ts"

const Live = Layer.mergeAll(Gateway.Default, Polling.Default, Inbox.Default, Connections.Default).pipe(
  Layer.provideMerge(MigratedDatabase),
  Layer.provide(Layer.succeed(AppConfig, testConfig(Option.none())))
)

describe("Gateway (long polling against the sandbox, real PostgreSQL)", () => {
  it.live(
    "stores every kind of update once with its decoded events, and stops an in-flight long poll at once",
    () =>
      Effect.gen(function* () {
        const box = yield* sandbox()
        const demo = demoWorld(box.world)
        const bot = yield* (yield* Connections).add(Redacted.make(demo.bot.token), box.apiRoot)
        const scope = yield* Scope.make()
        yield* Effect.addFinalizer(() => Scope.close(scope, Exit.void))
        yield* (yield* Gateway).serve([bot]).pipe(Scope.extend(scope)) // the default 30 s long poll
        const [client, other] = demo.clients
        const botId = demo.bot.user.id
        const types = Effect.map(inboxRows(bot.id), (rows) =>
          eventsOf(bot.id, rows).map((event) => event.type)
        )

        // The demo world made the bot an admin of its group before the gateway started; once those
        // updates are stored, getUpdates has run with allowed_updates (which opts in to some kinds).
        const before = (yield* eventually(Effect.map(types, (seen) => seen.length > 0 && seen))).length
        const hello = box.world.sendMessage({ from: client.id, chat_id: botId, text: "/start" })
        box.world.edit({ from: client.id, chat_id: botId, message_id: hello.message_id, text: "/start 42" })
        const api = new Api(demo.bot.token, { apiRoot: box.apiRoot })
        const question = yield* Effect.promise(() =>
          api.sendMessage(client.id, "Pick one", {
            reply_markup: { inline_keyboard: [[{ text: "Yes", callback_data: "yes" }]] }
          })
        )
        box.world.pressButton({
          from: client.id,
          chat_id: botId,
          message_id: question.message_id,
          data: "yes"
        })
        box.world.react({
          from: client.id,
          chat_id: botId,
          message_id: question.message_id,
          reaction: ["👍"]
        })
        const topic = box.world.createTopic(demo.group.id, { from: demo.admin.id, name: "Orders" })
        const thread = topic.message_thread_id
        box.world.sendMessage({
          from: demo.operators[0].id,
          chat_id: demo.group.id,
          message_thread_id: thread,
          text: "on it"
        })
        box.world.topicAction(demo.group.id, thread, "close", demo.admin.id)
        box.world.topicAction(demo.group.id, thread, "reopen", demo.admin.id)
        box.world.setMember(demo.group.id, { user_id: other.id, status: "member" })
        const channel = box.world.createChat({
          type: "channel",
          title: "News",
          owner: demo.admin.id,
          admins: [botId]
        })
        box.world.sendMessage({ from: demo.admin.id, chat_id: channel.id, text: "Release 1.0" })
        box.world.block({ user: client.id, bot: botId })

        const expected = [
          "message.received",
          "message.edited",
          "callback.pressed",
          "reaction.changed",
          "topic.created",
          "message.received",
          "topic.closed",
          "topic.reopened",
          "member.changed",
          "message.received", // new_chat_members service message
          "member.changed", // the bot made an admin of the channel
          "channel.posted",
          "member.changed"
        ]
        yield* eventually(Effect.map(types, (seen) => seen.length >= before + expected.length))
        const rows = yield* inboxRows(bot.id)
        const all = eventsOf(bot.id, rows)
        expect(all.slice(0, before)).toMatchObject([
          { type: "member.changed", self: true, chat: { id: demo.group.id }, newStatus: "administrator" }
        ])
        const events = all.slice(before)
        expect(events.map((event) => event.type)).toEqual(expected)
        expect(rows.every((row) => row.status === "pending")).toBe(true)
        expect(new Set(all.map((event) => event.updateId)).size).toBe(rows.length) // one row each
        expect(events.every((event) => event.connection === bot.id)).toBe(true)
        const [
          start,
          edited,
          pressed,
          reacted,
          created,
          inTopic,
          closed,
          reopened,
          joined,
          ,
          ,
          posted,
          blocked
        ] = events
        expect(start).toMatchObject({ chat: { id: client.id, type: "private" }, from: { id: client.id } })
        expect(start).not.toHaveProperty("threadId")
        expect(edited).toMatchObject({ messageId: hello.message_id, message: { text: "/start 42" } })
        expect(pressed).toMatchObject({
          data: "yes",
          messageId: question.message_id,
          from: { id: client.id }
        })
        expect(reacted).toMatchObject({ reactions: [{ type: "emoji", emoji: "👍" }], previous: [] })
        expect(created).toMatchObject({ threadId: thread, name: "Orders", from: { id: demo.admin.id } })
        expect(inTopic).toMatchObject({ threadId: thread, chat: { id: demo.group.id, type: "supergroup" } })
        expect([closed?.type === "topic.closed" && closed.threadId, reopened]).toMatchObject([
          thread,
          { threadId: thread }
        ])
        expect(joined).toMatchObject({ self: false, member: { id: other.id }, newStatus: "member" })
        expect(posted).toMatchObject({
          chat: { id: channel.id, type: "channel" },
          message: { text: "Release 1.0" }
        })
        expect(blocked).toMatchObject({ self: true, chat: { id: client.id }, newStatus: "kicked" })

        const started = Date.now()
        yield* Scope.close(scope, Exit.void)
        expect(Date.now() - started).toBeLessThan(1000) // the 30 s long poll was aborted
      }).pipe(Effect.scoped, Effect.provide(Live)),
    30_000
  )

  it.live(
    "acknowledges an update to Telegram only after it is committed: a failed insert is redelivered and stored once",
    () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const box = yield* sandbox()
        const demo = demoWorld(box.world)
        const bot = yield* (yield* Connections).add(Redacted.make(demo.bot.token), box.apiRoot)
        yield* (yield* Gateway).serve([bot])
        const api = new Api(demo.bot.token, { apiRoot: box.apiRoot })
        const write = (text: string) =>
          box.world.sendMessage({ from: demo.clients[0].id, chat_id: demo.bot.user.id, text })
        write("first")
        yield* eventually(Effect.map(messageRows(bot.id), (rows) => rows.length === 1))

        yield* sql`alter table inbox rename to inbox_away` // every insert now fails
        write("second")
        yield* Effect.sleep("600 millis") // several failed stores and retried polls
        expect(yield* pendingAtTelegram(api)).toBe(1) // never acknowledged
        yield* sql`alter table inbox_away rename to inbox`

        const rows = yield* eventually(Effect.map(messageRows(bot.id), (rows) => rows.length === 2 && rows))
        const texts = eventsOf(bot.id, rows).map(
          (event) => event.type === "message.received" && event.message.text
        )
        expect(texts).toEqual(["first", "second"])
        yield* eventually(Effect.map(pendingAtTelegram(api), (pending) => pending === 0))
        yield* Effect.sleep("300 millis")
        expect((yield* messageRows(bot.id)).length).toBe(2)
      }).pipe(Effect.scoped, Effect.provide(fast), Effect.provide(Live)),
    30_000
  )

  it.live(
    "redelivery is a no-op, undecodable updates are dead-lettered, and the next ones still arrive",
    () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const inbox = yield* Inbox
        const box = yield* sandbox()
        const demo = demoWorld(box.world)
        const bot = yield* (yield* Connections).add(Redacted.make(demo.bot.token), box.apiRoot)
        const notified = yield* (yield* PgClient.PgClient)
          .listen("inbox")
          .pipe(Stream.take(1), Stream.runCollect, Effect.fork)
        yield* Effect.sleep("300 millis") // LISTEN is in place
        const update = (id: number, text: string) => ({
          update_id: id,
          message: { message_id: id, date: 1, chat: { id: 5, type: "private" }, text }
        })
        const malformed = { update_id: 2, message: { message_id: "two", date: 1, chat: { type: "private" } } }
        const first = yield* inbox.storeAll(bot.id, [update(1, "a"), malformed, update(3, "c")])
        expect(first.map(({ updateId, isNew, status }) => [updateId, isNew, status])).toEqual([
          [1, true, "pending"],
          [2, true, "dead"],
          [3, true, "pending"]
        ])
        expect(first[0]?.events).toMatchObject([{ type: "message.received", message: { text: "a" } }])
        expect((yield* Fiber.join(notified).pipe(Effect.timeout("3 seconds"))).length).toBe(1)

        const again = yield* inbox.storeAll(bot.id, [update(1, "changed"), malformed])
        expect(again.map((stored) => stored.isNew)).toEqual([false, false])
        expect((yield* inbox.store(bot.id, update(3, "c"))).isNew).toBe(false)
        const rows = yield* messageRows(bot.id)
        expect(rows.map((row) => [row.update_id, row.status])).toEqual([
          ["1", "pending"],
          ["2", "dead"],
          ["3", "pending"]
        ])
        expect(rows[0]?.payload).toEqual(update(1, "a")) // the first delivery stays
        const dead = yield* sql<{ source: string; ref: string; reason: string; payload: unknown }>`
        select source, ref, reason, payload from dead_letter`
        expect(dead.map(({ source, ref, payload }) => ({ source, ref, payload }))).toEqual([
          { source: "inbox", ref: `${bot.id}/2`, payload: malformed }
        ])
        expect(dead[0]?.reason).toContain('message.message_id: Expected number, actual "two"')
        expect(dead[0]?.reason).toContain("message.chat.id: is missing")
        const missing = yield* Effect.flip(inbox.store(bot.id, { message: {} }))
        expect(missing._tag).toBe("UpdateIdMissing")

        // A dead update in the inbox does not hold up the connection's next ones.
        yield* (yield* Gateway).serve([bot])
        box.world.sendMessage({ from: demo.clients[0].id, chat_id: demo.bot.user.id, text: "still here" })
        const arrived = yield* eventually(
          Effect.map(messageRows(bot.id), (rows) => rows.length === 4 && rows)
        )
        expect(arrived[3]).toMatchObject({ status: "pending", payload: { message: { text: "still here" } } })
      }).pipe(Effect.scoped, Effect.provide(fast), Effect.provide(Live))
  )

  it.live("waits retry_after on 429 and backs off after lost connections, then carries on", () =>
    Effect.gen(function* () {
      const box = yield* sandbox()
      const demo = demoWorld(box.world)
      const bot = yield* (yield* Connections).add(Redacted.make(demo.bot.token), box.apiRoot)
      box.world.fault({ method: "getUpdates", kind: "drop", count: 2 })
      box.world.fault({
        method: "getUpdates",
        error_code: 429,
        description: "Too Many Requests: retry after 1",
        retry_after: 1
      })
      box.world.sendMessage({ from: demo.clients[0].id, chat_id: demo.bot.user.id, text: "patience" })
      const started = Date.now()
      yield* (yield* Gateway).serve([bot])
      const rows = yield* eventually(Effect.map(messageRows(bot.id), (rows) => rows.length === 1 && rows))
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000 + 50 + 100) // retry_after 1 s plus back-off
      expect(rows[0]?.payload).toMatchObject({ message: { text: "patience" } })
    }).pipe(Effect.scoped, Effect.provide(fast), Effect.provide(Live))
  )

  it.live("runs several bot connections in one process; a refused token stops only its own loop", () =>
    Effect.gen(function* () {
      const box = yield* sandbox()
      const demo = demoWorld(box.world)
      const second = box.world.createBot({ username: "second_bot" })
      const connections = yield* Connections
      const one = yield* connections.add(Redacted.make(demo.bot.token), box.apiRoot)
      const two = yield* connections.add(Redacted.make(second.token), box.apiRoot)
      const revoked = yield* connections.add(Redacted.make("7999999999:revoked-token"), box.apiRoot)
      expect(yield* Polling.pipe(Effect.flatMap((polling) => polling.run(revoked)))).toBe("unauthorized")

      yield* (yield* Gateway).serve(yield* connections.bots)
      const client = demo.clients[1].id
      box.world.sendMessage({ from: client, chat_id: demo.bot.user.id, text: "to one" })
      box.world.sendMessage({ from: client, chat_id: second.user.id, text: "to two" })
      const textOf = (connection: ConnectionId) =>
        Effect.map(inboxRows(connection), (rows) =>
          eventsOf(connection, rows).flatMap((event) =>
            event.type === "message.received" ? [event.message.text] : []
          )
        )
      expect(yield* eventually(Effect.map(textOf(one.id), (texts) => texts.length > 0 && texts))).toEqual([
        "to one"
      ])
      expect(yield* eventually(Effect.map(textOf(two.id), (texts) => texts.length > 0 && texts))).toEqual([
        "to two"
      ])
      box.world.sendMessage({ from: client, chat_id: second.user.id, text: "again" })
      yield* eventually(Effect.map(textOf(two.id), (texts) => texts.length === 2))
      expect(yield* inboxRows(revoked.id)).toEqual([])
    }).pipe(Effect.scoped, Effect.provide(fast), Effect.provide(Live))
  )
})

describe("backline start without BOT_TOKEN", () => {
  it.live(
    "polls the built-in sandbox: a demo client's message lands in the inbox",
    () =>
      Effect.gen(function* () {
        const database = yield* Effect.acquireRelease(
          Effect.promise(() => createTestDatabase()),
          (db) => Effect.promise(() => db.drop())
        )
        const backline = yield* Effect.acquireRelease(
          Effect.sync(() => new BacklineProcess(["start"], { DATABASE_URL: database.url, HTTP_PORT: "0" })),
          (child) => Effect.promise(() => child.stop())
        )
        const [, apiRoot] = yield* Effect.promise(() => backline.waitFor(/Bot API root (http:\/\/\S+)/))
        const [, botId] = yield* Effect.promise(() => backline.waitFor(/demo bot: @\S+ \((\d+)\)/))
        const [, clientId] = yield* Effect.promise(() =>
          backline.waitFor(/demo clients: Alice @\S+ \((\d+)\)/)
        )
        yield* Effect.promise(() => backline.running())
        const sent = yield* Effect.promise(() =>
          fetch(`${apiRoot}/sandbox/v1/messages`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ from: Number(clientId), chat_id: Number(botId), text: "hello Backline" })
          })
        )
        expect(sent.status).toBe(200)
        const client = new pg.Client({ connectionString: database.url })
        yield* Effect.acquireRelease(
          Effect.promise(() => client.connect()),
          () => Effect.promise(() => client.end())
        )
        const rows = yield* eventually(
          Effect.promise(() =>
            client
              .query<{ connection_id: string; payload: { message?: { text?: string } } }>(
                "select connection_id, payload from inbox where payload ? 'message'"
              )
              .then((result) => result.rows)
              .catch(() => [])
          ).pipe(Effect.map((rows) => rows.length > 0 && rows)),
          "20 seconds"
        )
        expect(rows.map((row) => [row.connection_id, row.payload.message?.text])).toEqual([
          [`bot:${botId}`, "hello Backline"]
        ])
        expect((yield* Effect.promise(() => backline.stop())).code).toBe(0)
        expect(backline.stderr).toBe("")
      }).pipe(Effect.scoped),
    60_000
  )
})
