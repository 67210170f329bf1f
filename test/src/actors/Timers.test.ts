import { SqlClient } from "@effect/sql"
import { it } from "@effect/vitest"
import { Duration, Effect, HashMap, Layer, Logger, LogLevel } from "effect"
import { describe, expect } from "vitest"
import { assign, emit, setup } from "xstate"
import { ActorHost } from "../../../src/actors/ActorHost.ts"
import { Mailbox } from "../../../src/actors/Mailbox.ts"
import { RouterLive } from "../../../src/actors/Router.ts"
import { InboxFeed } from "../../../src/telegram/InboxFeed.ts"
import { ActorHostConfig } from "../../../src/actors/Step.ts"
import { TimerScheduler, TimerSchedulerConfig } from "../../../src/actors/TimerScheduler.ts"
import { Timers } from "../../../src/actors/Timers.ts"
import { Notifications } from "../../../src/sql/Notifications.ts"
import { Outbox } from "../../../src/telegram/Outbox.ts"
import { eventually, MigratedDatabase } from "../../support/Gateway.ts"

type AlarmEvent =
  | { type: "alarm.arm"; name: string; delayMs: number }
  | { type: "alarm.disarm"; name: string }
  | { type: "alarm.rang"; name: string }
  | { type: "alarm.ask"; chatId: number }
  | { type: "alarm.answered"; messageId: number | null }
  | { type: "delivery.failed"; description: string }

const types = {} as {
  context: { rang: Array<string>; answers: Array<number | string | null> }
  events: AlarmEvent
  input: { key: string }
}

/** Sets and cancels durable timers, counts rings and remembers what Telegram answered. */
const alarmMachine = setup({ types }).createMachine({
  id: "alarm",
  context: { rang: [], answers: [] },
  on: {
    "alarm.arm": {
      actions: emit(({ event }) => ({
        type: "timer.set",
        name: event.name,
        delayMs: event.delayMs,
        event: { type: "alarm.rang", name: event.name }
      }))
    },
    "alarm.disarm": { actions: emit(({ event }) => ({ type: "timer.cancel", name: event.name })) },
    "alarm.rang": {
      actions: [
        assign({ rang: ({ context, event }) => [...context.rang, event.name] }),
        emit(({ event }) => ({ type: "alarm.rung", name: event.name }))
      ]
    },
    "alarm.ask": {
      actions: emit(({ event }) => ({
        type: "outbox.send",
        connection: "bot:7",
        chatId: event.chatId,
        method: "sendMessage",
        params: { text: "ring?" },
        replyAs: "alarm.answered"
      }))
    },
    "alarm.answered": {
      actions: assign({ answers: ({ context, event }) => [...context.answers, event.messageId] })
    },
    "delivery.failed": {
      actions: assign({ answers: ({ context, event }) => [...context.answers, event.description] })
    }
  }
})

const settings = Layer.succeed(ActorHostConfig, {
  ...ActorHostConfig.defaultValue(),
  registry: { alarm: { machine: alarmMachine, version: 1 } },
  passivateAfter: "50 millis"
})
const fastTimers = Layer.succeed(TimerSchedulerConfig, { pollInterval: Duration.millis(100), batch: 500 })

/** One Backline process' runtime part: host, router and scheduler (the database outlives it). */
const runtime = Layer.mergeAll(
  RouterLive,
  TimerScheduler.DefaultWithoutDependencies.pipe(Layer.provide(Layer.mergeAll(fastTimers, Timers.Default)))
).pipe(
  Layer.provide(Layer.mergeAll(Notifications.Default, InboxFeed.Default)),
  Layer.provideMerge(ActorHost.Default.pipe(Layer.provide(settings)))
)

const send = (event: AlarmEvent) =>
  Effect.flatMap(Mailbox, (mailbox) => mailbox.send("alarm:1", event, "test"))

const rang = Effect.flatMap(ActorHost, (host) => host.snapshotOf("alarm:1")).pipe(
  Effect.orDie,
  Effect.map((snapshot) => (snapshot as { context: { rang: Array<string> } }).context.rang)
)

const journalTypes = Effect.flatMap(
  SqlClient.SqlClient,
  (sql) => sql<{ type: string; cause: string }>`select type, cause from journal order by seq`
).pipe(Effect.orDie)

const base = Layer.mergeAll(Mailbox.Default, Timers.Default, Outbox.Default).pipe(
  Layer.provideMerge(MigratedDatabase)
)

describe("durable timers and actor mail (real PostgreSQL)", () => {
  it.live(
    "a timer set by a machine fires once, after a restart, and a cancelled or replaced one does not",
    () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        // First process: arm three timers, then replace one and cancel another, then stop.
        yield* Effect.scoped(
          Effect.gen(function* () {
            yield* send({ type: "alarm.arm", name: "soon", delayMs: 600 })
            yield* send({ type: "alarm.arm", name: "moved", delayMs: 300 })
            yield* send({ type: "alarm.arm", name: "dropped", delayMs: 300 })
            yield* send({ type: "alarm.arm", name: "moved", delayMs: 900 })
            yield* send({ type: "alarm.disarm", name: "dropped" })
            yield* eventually(
              Effect.map(
                sql<{ n: number }>`select count(*)::int as n from actor_mail where status = 'pending'`,
                (rows) => (rows[0]?.n === 0 ? true : undefined)
              ).pipe(Effect.orDie)
            )
          }).pipe(Effect.provide(runtime))
        )
        const stored = yield* sql<{ name: string }>`select name from timer order by name`
        expect(stored.map((row) => row.name)).toEqual(["moved", "soon"])
        // Backline is down while they fall due; the next process fires them.
        yield* Effect.sleep("1 second")
        yield* Effect.scoped(
          Effect.gen(function* () {
            yield* eventually(
              Effect.map(rang, (names) => (names.length === 2 ? names : undefined)),
              "10 seconds"
            )
            // Nothing more arrives: each timer fired once.
            yield* Effect.sleep("500 millis")
            expect([...(yield* rang)].sort()).toEqual(["moved", "soon"])
          }).pipe(Effect.provide(runtime))
        )
        expect(yield* sql`select * from timer`).toEqual([])
        const types = yield* journalTypes
        expect(types.filter((row) => row.type === "alarm.rung")).toHaveLength(2)
        expect(types.every((row) => row.type === "alarm.rung")).toBe(true)
        expect(yield* sql`select status from actor_mail where status <> 'done'`).toEqual([])
      }).pipe(Effect.provide(base))
  )

  it.live("a timer that fires after its actor set it again is spent without reaching the machine", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* Effect.scoped(
        Effect.gen(function* () {
          const host = yield* ActorHost
          yield* host.deliver("alarm:1", { type: "alarm.arm", name: "a", delayMs: 60_000 }, "test:1")
          // A stale firing of "a": the generation the actor no longer holds.
          yield* sql`
            insert into actor_mail (actor_key, source, event, timer_name, timer_generation)
            values ('alarm:1', 'timer', '{"type":"alarm.rang","name":"a"}', 'a', 'test:0/a')`
          yield* sql`select pg_notify('mail', 'alarm:1')`
          yield* eventually(
            Effect.map(sql<{ status: string }>`select status from actor_mail`, (rows) =>
              rows[0]?.status === "done" ? true : undefined
            ).pipe(Effect.orDie)
          )
          expect(yield* rang).toEqual([])
          // The current one still fires.
          yield* sql`update timer set due_at = now()`
          yield* eventually(
            Effect.map(rang, (names) => (names.length === 1 ? names : undefined)),
            "5 seconds"
          )
        }).pipe(Effect.provide(runtime))
      )
    }).pipe(Effect.provide(base))
  )

  it.live("mail to an actor kind nobody knows is dead-lettered, and the rest is applied", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const mailbox = yield* Mailbox
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* mailbox.send("nobody:1", { type: "x.done" }, "plugin:tasks")
          yield* send({ type: "alarm.rang", name: "by hand" })
          yield* eventually(Effect.map(rang, (names) => (names.length === 1 ? names : undefined)))
          const dead = yield* eventually(
            Effect.map(
              sql<{
                source: string
                ref: string
                reason: string
              }>`select source, ref, reason from dead_letter`,
              (rows) => (rows.length === 1 ? rows : undefined)
            ).pipe(Effect.orDie)
          )
          expect(dead[0]).toMatchObject({
            source: "mail",
            reason: 'no machine is registered for the actor key "nobody:1"'
          })
          expect(yield* sql`select status from actor_mail order by id`).toEqual([
            { status: "dead" },
            { status: "done" }
          ])
        }).pipe(Effect.provide(runtime))
      )
    }).pipe(Effect.provide(base))
  )

  it.live(
    "a machine that asks for a call's outcome gets the message id, or Telegram's refusal, as mail",
    () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const outbox = yield* Outbox
        yield* Effect.scoped(
          Effect.gen(function* () {
            yield* send({ type: "alarm.ask", chatId: 42 })
            yield* send({ type: "alarm.ask", chatId: 43 })
            const rows = yield* eventually(
              Effect.map(outbox.heads, (heads) => (heads.length === 2 ? heads : undefined)),
              "5 seconds"
            )
            expect(rows.map((row) => row.replyAs)).toEqual(["alarm.answered", "alarm.answered"])
            // What the Sender records for Telegram's answers: one sent, one refused.
            yield* outbox.sent(rows[0]!, { message_id: 77, chat: { id: 42 } })
            yield* outbox.failed(rows[1]!, 403, "Forbidden: bot was blocked by the user")
            const answers = yield* eventually(
              Effect.map(
                Effect.orDie(Effect.flatMap(ActorHost, (host) => host.snapshotOf("alarm:1"))),
                (snapshot) => {
                  const found = (snapshot as { context: { answers: Array<unknown> } }).context.answers
                  return found.length === 2 ? found : undefined
                }
              ),
              "5 seconds"
            )
            expect(answers).toEqual([77, "Forbidden: bot was blocked by the user"])
            expect(yield* sql`select source from actor_mail order by id offset 2`).toEqual([
              { source: `outbox:${rows[0]!.id}` },
              { source: `outbox:${rows[1]!.id}` }
            ])
          }).pipe(Effect.provide(runtime))
        )
      }).pipe(Effect.provide(base))
  )

  it.live("every log line of a step carries the actor key, the cause and the update id", () => {
    const lines: Array<{ message: string; annotations: Record<string, unknown> }> = []
    const capture = Logger.make(({ message, annotations }) => {
      lines.push({
        message: String(message),
        annotations: Object.fromEntries(HashMap.toEntries(annotations))
      })
    })
    return Effect.gen(function* () {
      const host = yield* ActorHost
      yield* host.deliver("alarm:9", { type: "alarm.rang", name: "x" }, "inbox:bot:7/5")
      yield* host.deliver("alarm:9", { type: "alarm.rang", name: "y" }, "mail:12")
      const steps = lines.filter((line) => line.message.includes("alarm.rang"))
      expect(steps.map((line) => line.annotations)).toEqual([
        { actor: "alarm:9", cause: "inbox:bot:7/5", update: "bot:7/5" },
        { actor: "alarm:9", cause: "mail:12" }
      ])
    }).pipe(
      Effect.provide(ActorHost.Default.pipe(Layer.provide(settings))),
      Effect.provide(Logger.replace(Logger.defaultLogger, capture)),
      Logger.withMinimumLogLevel(LogLevel.Debug),
      Effect.provide(base)
    )
  })
})
