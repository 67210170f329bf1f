import { SqlClient } from "@effect/sql"
import { layer } from "@effect/vitest"
import { Duration, Effect, Exit, Layer, Metric, Redacted, Schedule, Scope } from "effect"
import pg from "pg"
import { expect } from "vitest"
import type { ConnectionId } from "../../../src/domain/Ids.ts"
import { startSandbox, type RunningSandbox } from "../../../src/sandbox/Server.ts"
import { MigrationState, runMigrations } from "../../../src/sql/Migrations.ts"
import { Connections } from "../../../src/telegram/Connections.ts"
import { Outbox, type OutboxEntry } from "../../../src/telegram/Outbox.ts"
import { RateLimiterConfig, telegramLimits } from "../../../src/telegram/RateLimiter.ts"
import { rateLimitedTotal, Sender, SenderConfig } from "../../../src/telegram/Sender.ts"
import { createTestDatabase, TestDatabaseLive } from "../../support/Database.ts"

const Database = Layer.effectDiscard(runMigrations()).pipe(
  Layer.provide(MigrationState.Default),
  Layer.provideMerge(TestDatabaseLive)
)
const Env = Layer.mergeAll(Outbox.Default, Connections.Default).pipe(Layer.provideMerge(Database))

const repeat = <A>(n: number, make: (i: number) => A): Array<A> =>
  Array.from({ length: n }, (_, i) => make(i))

/** A sandbox Telegram with one bot (a connection in the database), `clients` who started it and `groups` forums. */
const world = (options: { timeScale?: number; clients?: number; groups?: number } = {}) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`truncate message_map, outbox, journal restart identity`
    const limits = { enabled: options.timeScale !== undefined, timeScale: options.timeScale ?? 1 }
    const box: RunningSandbox = yield* Effect.acquireRelease(
      Effect.promise(() => startSandbox({ limits })),
      (box) => Effect.promise(() => box.close())
    )
    const bot = box.world.createBot({ username: "backline_bot" })
    const connection = yield* Connections.pipe(
      Effect.flatMap((connections) => connections.add(Redacted.make(bot.token), box.apiRoot))
    )
    const owner = box.world.createUser({ first_name: "Owner" }).id
    const clients = repeat(options.clients ?? 0, (i) => {
      const id = box.world.createUser({ first_name: `Client ${i}` }).id
      box.world.sendMessage({ from: id, chat_id: bot.user.id, text: "/start" })
      return id
    })
    const groups = repeat(
      options.groups ?? 0,
      (i) =>
        box.world.createChat({
          type: "supergroup",
          title: `Team ${i}`,
          is_forum: true,
          owner,
          admins: [bot.user.id]
        }).id
    )
    /** Texts of the bot's messages in a chat, oldest first, as its members see them. */
    const seen = (chat: number, thread?: number) =>
      box.world
        .messages(chat > 0 ? bot.user.id : chat, chat > 0 ? chat : owner, thread)
        .filter((message) => message.from?.id === bot.user.id)
        .map((message) => message.text)
    const text = (chat: number, text: string, extra: Partial<OutboxEntry> = {}): OutboxEntry => ({
      connection: connection.id,
      chatId: chat,
      method: "sendMessage",
      params: { text },
      ...extra
    })
    return { box, bot, connection: connection.id, owner, clients, groups, seen, text }
  })

/** A running Sender with the sandbox's time scale, until the enclosing scope closes. */
const sender = (timeScale: number | undefined, config: Partial<SenderConfig["Type"]> = {}) =>
  Layer.build(
    Sender.Default.pipe(
      Layer.provide(
        Layer.mergeAll(
          Layer.succeed(RateLimiterConfig, {
            ...telegramLimits,
            enabled: timeScale !== undefined,
            timeScale: timeScale ?? 1
          }),
          Layer.succeed(SenderConfig, {
            ...SenderConfig.defaultValue(),
            pollInterval: Duration.millis(200),
            initialBackoff: Duration.millis(20),
            ...config
          })
        )
      )
    )
  )

const enqueue = (entries: ReadonlyArray<OutboxEntry>) =>
  Effect.flatMap(Outbox, (outbox) => outbox.enqueue(entries))

interface Settled {
  readonly id: number
  readonly status: string
  readonly error: string | null
  readonly attempts: number
  readonly latency: number
  readonly sentAt: number
}

/** Waits until none of `ids` is pending; answers their rows (latency: ms from insert to recorded send). */
const settled = (ids: ReadonlyArray<number>, within = Duration.seconds(20)) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const pending = sql<{
      n: string
    }>`select count(*) as n from outbox where status = 'pending' and id in ${sql.in(ids)}`
    yield* pending.pipe(
      Effect.filterOrFail((rows) => Number(rows[0]?.n) === 0),
      Effect.retry({ schedule: Schedule.spaced("10 millis") }),
      Effect.timeoutFail({ duration: within, onTimeout: () => new Error("rows still pending") })
    )
    const rows = yield* sql<{
      id: string
      status: string
      error: string | null
      attempts: number
      latency: number
      sent_at: number
    }>`
      select id, status, error, attempts,
        extract(epoch from (coalesce(sent_at, now()) - created_at)) * 1000 as latency,
        extract(epoch from sent_at) * 1000 as sent_at
      from outbox where id in ${sql.in(ids)} order by id`
    return rows.map((row): Settled => ({
      id: Number(row.id),
      status: row.status,
      error: row.error,
      attempts: row.attempts,
      latency: Number(row.latency),
      sentAt: Number(row.sent_at)
    }))
  })

const rateLimited = (connection: ConnectionId) =>
  Metric.value(Metric.tagged(rateLimitedTotal, "connection", connection)).pipe(
    Effect.map((state) => state.count)
  )

const percentile = (values: ReadonlyArray<number>, p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? Number.NaN
}

/** Share of Telegram's allowance used: messages sent in a window over what a full bucket lets through in it. */
const allowance = (sentAt: ReadonlyArray<number>, burst: number, perSecond: number, timeScale: number) => {
  const first = Math.min(...sentAt)
  const seconds = (Math.max(...sentAt) - first) / 1000
  return {
    messages: sentAt.length,
    seconds: Number(seconds.toFixed(2)),
    perSecond: Math.round(sentAt.length / seconds),
    allowedPerSecond: Number((perSecond / timeScale).toFixed(2)),
    share: Number((sentAt.length / (burst + (perSecond * seconds) / timeScale)).toFixed(3))
  }
}

/** Enqueues `group` messages to one forum and one to each of `clients` private chats, all at once. */
const flood = (timeScale: number, group: number, clients: number) =>
  Effect.gen(function* () {
    const {
      connection,
      clients: people,
      groups,
      seen,
      text
    } = yield* world({ timeScale, clients, groups: 1 })
    const [forum] = groups as [number]
    yield* sender(timeScale)
    const before = yield* rateLimited(connection)
    const ids = yield* enqueue([
      ...repeat(group, (i) => text(forum, `news ${i}`)),
      ...people.map((client) => text(client, "hello"))
    ])
    const rows = yield* settled(ids, Duration.seconds(90))
    return {
      rows,
      tooManyRequests: (yield* rateLimited(connection)) - before,
      groupSeen: seen(forum),
      groupRows: rows.slice(0, group),
      privateRows: rows.slice(group)
    }
  })

layer(Env, { timeout: 120_000, excludeTestServices: true })("Sender", (it) => {
  it.scoped("keeps each chat's order while chats proceed in parallel, through retries and 429s", () =>
    Effect.gen(function* () {
      const timeScale = 0.01
      const { box, clients, groups, seen, text } = yield* world({ timeScale, clients: 4, groups: 2 })
      const chats = [...clients, ...groups]
      yield* sender(timeScale)
      box.world.fault({ method: "sendMessage", chat_id: clients[0]!, error_code: 500, count: 2 })
      box.world.fault({
        method: "sendMessage",
        chat_id: groups[0]!,
        error_code: 429,
        retry_after: 3,
        count: 1
      })
      // Six producers' batches, each writing to every chat.
      const ids = yield* Effect.forEach(
        repeat(6, (batch) => batch),
        (batch) => enqueue(chats.flatMap((chat) => repeat(5, (i) => text(chat, `${chat} #${batch * 5 + i}`))))
      )
      const rows = yield* settled(ids.flat())
      expect(rows.every((row) => row.status === "sent")).toBe(true)
      for (const chat of chats) expect(seen(chat)).toEqual(repeat(30, (i) => `${chat} #${i}`))
    })
  )

  it.scoped("keeps each forum topic's order while a group's topics go on in parallel", () =>
    Effect.gen(function* () {
      const { box, owner, groups, seen, text } = yield* world({ groups: 1 })
      const [group] = groups as [number]
      const [billing, delivery] = ["Billing", "Delivery"].map(
        (name) => box.world.createTopic(group, { from: owner, name }).message_thread_id
      ) as [number, number]
      const inTopic = (thread: number, body: string) =>
        text(group, body, { params: { text: body, message_thread_id: thread } })
      yield* sender(undefined)
      box.world.fault({ method: "sendMessage", chat_id: group, kind: "timeout", delay_ms: 1000 })
      const slow = yield* enqueue([inTopic(billing, "billing 0")])
      // Once Telegram holds that call, the rest arrive.
      yield* Effect.sync(() => box.world.faults.size).pipe(
        Effect.repeat({ until: (left) => left === 0, schedule: Schedule.spaced("5 millis") })
      )
      const rest = yield* enqueue([
        ...repeat(4, (i) => inTopic(billing, `billing ${i + 1}`)),
        ...repeat(5, (i) => inTopic(delivery, `delivery ${i}`)),
        text(group, "in General")
      ])
      const rows = yield* settled([...slow, ...rest])
      expect(rows.every((row) => row.status === "sent")).toBe(true)
      expect(seen(group, billing)).toEqual(repeat(5, (i) => `billing ${i}`))
      expect(seen(group, delivery)).toEqual(repeat(5, (i) => `delivery ${i}`))
      expect(seen(group, 1)).toEqual(["in General"])
      // The other topic and General did not wait for Billing's slow call; Billing's next ones did.
      const answered = rows[0]!.sentAt
      expect(rows.slice(5).every((row) => row.sentAt < answered)).toBe(true)
      expect(rows.slice(1, 5).every((row) => row.sentAt >= answered)).toBe(true)
    })
  )

  it.scoped("sends while a transaction stays open in another database of the server", () =>
    Effect.gen(function* () {
      const { clients, seen, text } = yield* world({ clients: 1 })
      const [client] = clients as [number]
      // Another application's long transaction (a bulk load, a migration) on the same server.
      const other = yield* Effect.acquireRelease(
        Effect.promise(() => createTestDatabase()),
        (db) => Effect.promise(() => db.drop())
      )
      yield* Effect.acquireRelease(
        Effect.promise(async () => {
          const open = new pg.Client({ connectionString: other.url })
          await open.connect()
          await open.query("begin; select pg_current_xact_id()")
          return open
        }),
        (open) => Effect.promise(() => open.end())
      )
      yield* sender(undefined)
      const rows = yield* settled(yield* enqueue([text(client, "one"), text(client, "two")]))
      expect(rows.map((row) => row.status)).toEqual(["sent", "sent"])
      expect(seen(client)).toEqual(["one", "two"])
    })
  )

  it.scoped("when it stops, a call Telegram holds is finished and recorded before the Sender is gone", () =>
    Effect.gen(function* () {
      const { box, clients, seen, text } = yield* world({ clients: 1 })
      const [client] = clients as [number]
      box.world.fault({ method: "sendMessage", chat_id: client, kind: "timeout", delay_ms: 500 })
      const scope = yield* Scope.make()
      yield* sender(undefined).pipe(Scope.extend(scope))
      const ids = yield* enqueue([text(client, "in flight")])
      yield* Effect.sync(() => box.world.faults.size).pipe(
        Effect.repeat({ until: (left) => left === 0, schedule: Schedule.spaced("5 millis") })
      )
      const stopped = yield* Scope.close(scope, Exit.void).pipe(
        Effect.timeout(Duration.seconds(5)),
        Effect.either
      )
      expect(stopped._tag).toBe("Right")
      const [row] = yield* settled(ids, Duration.millis(100))
      expect(row?.status).toBe("sent")
      expect(seen(client)).toEqual(["in flight"])
    })
  )

  it.scoped("fails a row Telegram refuses (400, 403) with its description and journals delivery.failed", () =>
    Effect.gen(function* () {
      const { box, connection, owner, clients, groups, seen, text } = yield* world({ clients: 1, groups: 1 })
      const [client] = clients as [number]
      const [group] = groups as [number]
      const topic = box.world.createTopic(group, { from: owner, name: "Order 42" })
      box.world.topicAction(group, topic.message_thread_id, "delete")
      box.world.block({ user: client, bot: Number(connection.split(":")[1]) })
      yield* sender(undefined)
      const ids = yield* enqueue([
        text(group, "into a deleted topic", {
          params: { text: "into a deleted topic", message_thread_id: topic.message_thread_id },
          actorKey: "dialog:42",
          cause: "inbox:7"
        }),
        text(group, "to General, after the failure"),
        text(client, "to a client who blocked the bot")
      ])
      const rows = yield* settled(ids)
      expect(rows.map((row) => [row.status, row.error])).toEqual([
        ["failed", "Bad Request: message thread not found"],
        ["sent", null],
        ["failed", "Forbidden: bot was blocked by the user"]
      ])
      expect(seen(group)).toEqual(["to General, after the failure"])
      const sql = yield* SqlClient.SqlClient
      // The two lanes fail at once, in either order: the events are read in the rows' order.
      const journal = yield* sql`
        select actor_key, cause, ordinal, type, event from journal order by (event ->> 'outbox_id')::bigint`
      expect(journal).toHaveLength(2)
      expect(journal[0]).toEqual({
        actor_key: "dialog:42",
        cause: `outbox:${ids[0]}`,
        ordinal: 0,
        type: "delivery.failed",
        event: {
          type: "delivery.failed",
          outbox_id: ids[0],
          connection_id: connection,
          chat_id: group,
          method: "sendMessage",
          code: 400,
          description: "Bad Request: message thread not found"
        }
      })
      expect(journal[1]).toMatchObject({
        actor_key: `connection:${connection}`,
        cause: `outbox:${ids[2]}`,
        ordinal: 0,
        type: "delivery.failed",
        event: { outbox_id: ids[2], chat_id: client, code: 403 }
      })
      const mapped = yield* sql<{ outbox_id: string }>`select outbox_id from message_map order by outbox_id`
      expect(mapped.map((row) => Number(row.outbox_id))).toEqual([ids[1]])
    })
  )

  it.scoped(
    "retries 5xx and lost connections with back-off, then sends once; gives up after maxAttempts",
    () =>
      Effect.gen(function* () {
        const { box, clients, seen, text } = yield* world({ clients: 2 })
        const [client, other] = clients as [number, number]
        box.world.fault({ method: "sendMessage", chat_id: client, error_code: 500, count: 1 })
        box.world.fault({ method: "sendMessage", chat_id: client, kind: "drop", count: 1 })
        box.world.fault({ method: "sendMessage", chat_id: other, error_code: 502, count: 3 })
        yield* sender(undefined, { maxAttempts: 3 })
        const ids = yield* enqueue([text(client, "first"), text(client, "second"), text(other, "doomed")])
        const rows = yield* settled(ids)
        expect(rows.map((row) => [row.status, row.attempts, row.error])).toEqual([
          ["sent", 3, null],
          ["sent", 1, null],
          ["failed", 3, "gave up after 3 attempts: Bad Gateway"]
        ])
        // Back-off 20 + 40 ms before the first went through; the second waited its turn.
        expect(rows[0]!.latency).toBeGreaterThanOrEqual(60)
        expect(rows[1]!.sentAt).toBeGreaterThan(rows[0]!.sentAt)
        expect(seen(client)).toEqual(["first", "second"])
        expect(seen(other)).toEqual([])
      })
  )

  it.scoped("pauses only the chat that got a 429; other chats keep their latency", () =>
    Effect.gen(function* () {
      const timeScale = 0.2
      const { box, clients, groups, seen, text } = yield* world({ timeScale, clients: 21, groups: 3 })
      const [throttled, calmBefore, calmDuring] = groups as [number, number, number]
      yield* sender(timeScale)
      // Warm-up: the first call pays for connections and compilation; rounds use fresh chats so
      // both start with full budgets.
      yield* settled(yield* enqueue([text(clients[0]!, "warm-up")]))
      const round = (tag: string, calm: number, privates: ReadonlyArray<number>) =>
        Effect.gen(function* () {
          const ids = yield* enqueue([
            ...repeat(5, (i) => text(throttled, `${tag} ${i}`)),
            ...repeat(5, (i) => text(calm, `${tag} ${i}`)),
            ...privates.flatMap((client) => repeat(2, (i) => text(client, `${tag} ${i}`)))
          ])
          const rows = yield* settled(ids)
          return { throttled: rows.slice(0, 5), others: rows.slice(5).map((row) => row.latency) }
        })
      const before = yield* round("calm", calmBefore, clients.slice(1, 11))
      // The bot's own budget (30 a second) is shared by both rounds: let it fill up again.
      yield* Effect.sleep(Duration.millis(1000 * timeScale))
      box.world.fault({
        method: "sendMessage",
        chat_id: throttled,
        error_code: 429,
        retry_after: 5,
        count: 1
      })
      const during = yield* round("throttled", calmDuring, clients.slice(11))
      const pause = 5 * 1000 * timeScale
      const round1 = (values: ReadonlyArray<number>) => Math.round(values.reduce((a, b) => Math.max(a, b), 0))
      const figures = {
        pauseMs: pause,
        othersWithout429: { p50: Math.round(percentile(before.others, 0.5)), max: round1(before.others) },
        othersWith429: { p50: Math.round(percentile(during.others, 0.5)), max: round1(during.others) },
        throttled: during.throttled.map((row) => Math.round(row.latency))
      }
      console.log("429 isolation, ms from insert to send:", JSON.stringify(figures))
      // The 25 other messages went out about as fast as without the 429, well inside the pause.
      expect(figures.othersWith429.max).toBeLessThan(pause / 2)
      expect(figures.othersWith429.p50).toBeLessThan(figures.othersWithout429.p50 * 2 + 50)
      // The throttled chat waited retry_after (time-scaled), then delivered everything in order.
      expect(figures.throttled[0]).toBeGreaterThanOrEqual(pause)
      expect(during.throttled.every((row) => row.status === "sent")).toBe(true)
      const both = [...repeat(5, (i) => `calm ${i}`), ...repeat(5, (i) => `throttled ${i}`)]
      expect(seen(throttled)).toEqual(both)
      expect([seen(calmBefore), seen(calmDuring)]).toEqual([both.slice(0, 5), both.slice(5)])
    })
  )

  it.scoped(
    "keeps Telegram's limits for 300 group and 1,000 private messages at once: no 429, the group at ≥ 95% of 20/min",
    () =>
      Effect.gen(function* () {
        const timeScale = 0.04
        const run = yield* flood(timeScale, 300, 1000)
        const all = run.rows.map((row) => row.sentAt)
        const privateSentAt = run.privateRows.map((row) => row.sentAt)
        const privateEnd = Math.max(...privateSentAt)
        const figures = {
          timeScale,
          tooManyRequests: run.tooManyRequests,
          group: allowance(
            run.groupRows.map((row) => row.sentAt),
            20,
            20 / 60,
            timeScale
          ),
          // Every send of the bot while the private chats were served (pipeline-bound at this scale).
          bot: allowance(
            all.filter((at) => at <= privateEnd),
            30,
            30,
            timeScale
          )
        }
        console.log("rate, 300 group + 1,000 private:", JSON.stringify(figures))
        expect(run.rows.filter((row) => row.status === "sent")).toHaveLength(1300)
        expect(figures.tooManyRequests).toBe(0)
        expect(figures.group.share).toBeGreaterThanOrEqual(0.95)
        expect(run.groupSeen).toEqual(repeat(300, (i) => `news ${i}`))
      }),
    120_000
  )

  it.scoped("sends to 500 private chats at ≥ 95% of the bot's 30/s with no 429", () =>
    Effect.gen(function* () {
      // A scale at which the bot's limit, not this machine, is what holds the Sender back.
      const timeScale = 1 / 3
      const run = yield* flood(timeScale, 20, 500)
      const figures = {
        timeScale,
        tooManyRequests: run.tooManyRequests,
        bot: allowance(
          run.rows.map((row) => row.sentAt),
          30,
          30,
          timeScale
        )
      }
      console.log("rate, 500 private (+20 group):", JSON.stringify(figures))
      expect(run.rows.filter((row) => row.status === "sent")).toHaveLength(520)
      expect(figures.tooManyRequests).toBe(0)
      expect(figures.bot.share).toBeGreaterThanOrEqual(0.95)
    })
  )
})
