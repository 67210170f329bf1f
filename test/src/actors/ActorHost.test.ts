import { SqlClient } from "@effect/sql"
import { it, layer } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import { describe, expect } from "vitest"
import { assign, createActor, emit, setup } from "xstate"
import { ActorHost } from "../../../src/actors/ActorHost.ts"
import { ActorHostConfig, type ActorHostSettings } from "../../../src/actors/Step.ts"
import { eventually, MigratedDatabase } from "../../support/Gateway.ts"

type CounterEvent = { type: "counter.added"; by: number } | { type: "counter.replied"; chatId: number }

const types = {} as { context: { count: number }; events: CounterEvent; input: { key: string } }

const counterMachine = setup({ types }).createMachine({
  id: "counter",
  context: { count: 0 },
  on: {
    "counter.added": {
      actions: [
        assign({ count: ({ context, event }) => context.count + event.by }),
        emit(({ context }) => ({ type: "counter.changed", count: context.count }))
      ]
    },
    "counter.replied": {
      actions: [
        emit({ type: "counter.answered" }),
        emit(({ event }) => ({
          type: "outbox.send",
          connection: "bot:7",
          chatId: event.chatId,
          method: "sendMessage",
          params: { text: "thanks" }
        }))
      ]
    }
  }
})

const registry = {
  counter: { machine: counterMachine, version: 2 },
  migrated: {
    machine: counterMachine,
    version: 2,
    migrate: (snapshot: unknown, from: number) =>
      // v1 had no state machine yet, only a count: lift it into a v2 snapshot.
      from === 1
        ? { ...createActor(counterMachine, { input: { key: "" } }).getPersistedSnapshot(), context: snapshot }
        : undefined
  }
}

const host = (settings: Partial<ActorHostSettings> = {}) =>
  ActorHost.Default.pipe(
    Layer.provide(
      Layer.succeed(ActorHostConfig, { ...ActorHostConfig.defaultValue(), registry, ...settings })
    )
  )

const add = (key: string, by: number, cause: string) =>
  Effect.flatMap(ActorHost, (actors) => actors.deliver(key, { type: "counter.added", by }, cause))

const journal = (key: string) =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) => sql<{ cause: string; ordinal: number; type: string; event: { count?: number } }>`
      select cause, ordinal, type, event from journal where actor_key = ${key} order by seq`
  ).pipe(Effect.orDie)

const countOf = (key: string) =>
  Effect.flatMap(ActorHost, (actors) => actors.snapshotOf(key)).pipe(
    Effect.map((snapshot) => (snapshot as { context: { count: number } }).context.count)
  )

layer(MigratedDatabase, { timeout: 60_000, excludeTestServices: true })(
  "ActorHost (real PostgreSQL)",
  (it) => {
    it.effect("commits snapshot, journal, outbox and inbox-done together, or nothing of the step", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* sql`insert into inbox (connection_id, update_id, payload) values ('bot:7', 1, '{}'), ('bot:7', 2, '{}')`
        const actors = yield* ActorHost
        yield* add("counter:a", 5, "test:a/0")
        // chat_id 1.5 is no bigint: the outbox insert fails after the snapshot and journal rows were written.
        const failed = yield* Effect.exit(
          actors.deliver("counter:a", { type: "counter.replied", chatId: 1.5 }, "inbox:bot:7/1")
        )
        expect(Exit.isFailure(failed)).toBe(true)
        expect((yield* journal("counter:a")).map((row) => row.cause)).toEqual(["test:a/0"])
        expect(yield* sql`select * from outbox`).toEqual([])
        expect(yield* sql`select status from inbox where update_id = 1`).toEqual([{ status: "pending" }])
        const [stored] = yield* sql<{ snapshot: { causes: Array<string> } }>`
        select snapshot from actor_snapshot where actor_key = 'counter:a'`
        expect(stored?.snapshot.causes).toEqual(["test:a/0"])

        const outcome = yield* actors.deliver(
          "counter:a",
          { type: "counter.replied", chatId: -100 },
          "inbox:bot:7/2"
        )
        expect(outcome.emitted.map((event) => event.type)).toEqual(["counter.answered", "outbox.send"])
        expect(yield* journal("counter:a")).toMatchObject([
          { cause: "test:a/0", ordinal: 0, type: "counter.changed" },
          { cause: "inbox:bot:7/2", ordinal: 0, type: "counter.answered" }
        ])
        expect(
          yield* sql`select connection_id, chat_id, method, params, actor_key, cause from outbox`
        ).toEqual([
          {
            connection_id: "bot:7",
            chat_id: "-100",
            method: "sendMessage",
            params: { text: "thanks" },
            actor_key: "counter:a",
            cause: "inbox:bot:7/2"
          }
        ])
        expect(yield* sql`select update_id, status from inbox order by update_id`).toEqual([
          { update_id: "1", status: "pending" },
          { update_id: "2", status: "done" }
        ])
        expect(yield* countOf("counter:a")).toBe(5) // the actor was restored from its last commit
      }).pipe(Effect.provide(host()))
    )

    it.effect("a replayed cause is a no-op, also after passivation", () =>
      Effect.gen(function* () {
        const actors = yield* ActorHost
        expect((yield* add("counter:r", 1, "test:r/1")).replayed).toBe(false)
        expect((yield* add("counter:r", 1, "test:r/1")).replayed).toBe(true)
        yield* eventually(Effect.map(actors.liveCount, (count) => count === 0))
        expect((yield* add("counter:r", 1, "test:r/1")).replayed).toBe(true)
        expect(yield* countOf("counter:r")).toBe(1)
        expect(yield* journal("counter:r")).toHaveLength(1)
      }).pipe(Effect.provide(host({ passivateAfter: "50 millis" })))
    )

    it.effect("an idle actor is dropped from memory and restored with its context", () =>
      Effect.gen(function* () {
        const actors = yield* ActorHost
        for (const i of [1, 2, 3]) yield* add("counter:p", i, `test:p/${i}`)
        expect(yield* actors.liveCount).toBe(1)
        yield* eventually(Effect.map(actors.liveCount, (count) => count === 0))
        const outcome = yield* add("counter:p", 4, "test:p/4")
        expect(outcome.emitted).toEqual([{ type: "counter.changed", count: 10 }])
      }).pipe(Effect.provide(host({ passivateAfter: "50 millis" })))
    )

    it.effect("a full mailbox makes senders wait, and loses nothing of what they send, in order", () =>
      Effect.gen(function* () {
        const outcomes = yield* Effect.all(
          Array.from({ length: 12 }, (_, i) => add("counter:full", 1, `test:full/${i + 1}`)),
          { concurrency: "unbounded" }
        )
        expect(outcomes.every((outcome) => !outcome.replayed)).toBe(true)
        expect((yield* journal("counter:full")).map((row) => row.event.count)).toEqual(
          Array.from({ length: 12 }, (_, i) => i + 1)
        )
        expect(yield* countOf("counter:full")).toBe(12)
      }).pipe(Effect.provide(host({ mailboxCapacity: 2 })))
    )

    it.effect(
      "rejects a snapshot of another version clearly, and migrates when a migration is registered",
      () =>
        Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          yield* sql`
        insert into actor_snapshot (actor_key, machine, version, snapshot) values
          ('counter:old', 'counter', 1, '{"state": {}, "causes": []}'),
          ('migrated:old', 'counter', 1, '{"state": {"count": 100}, "causes": []}')`
          const error = yield* Effect.flip(add("counter:old", 1, "test:old/1"))
          expect(error._tag).toBe("SnapshotVersionMismatch")
          expect(error.message).toBe(
            "actor counter:old: its snapshot is counter v1, the machine is counter v2, and no migration turns one into the other"
          )
          const restarted = yield* add("migrated:old", 1, "test:m/1")
          expect(restarted.emitted).toEqual([{ type: "counter.changed", count: 101 }])
          expect((yield* Effect.flip(add("nothing:1", 1, "test:n/1")))._tag).toBe("UnknownActorKind")
        }).pipe(Effect.provide(host()))
    )
  }
)

describe("ActorHost concurrency", () => {
  const run = (prefix: string, keys: number, events: number) =>
    Effect.gen(function* () {
      const started = Date.now()
      yield* Effect.forEach(
        Array.from({ length: keys }, (_, k) => `counter:${prefix}${k}`),
        (key) =>
          Effect.forEach(
            Array.from({ length: events }, (_, i) => i + 1),
            (i) => add(key, 1, `test:${key}/${i}`)
          ),
        { concurrency: "unbounded", discard: true }
      )
      return ((keys * events) / (Date.now() - started)) * 1000
    })

  it.live(
    "200 keys × 10 events in parallel keep each key's order; group commit against one step per transaction",
    () =>
      Effect.gen(function* () {
        const grouped = yield* run("g", 200, 10).pipe(Effect.provide(host()))
        const single = yield* run("s", 200, 10).pipe(Effect.provide(host({ maxBatch: 1 })))
        for (const key of ["counter:g0", "counter:g117", "counter:g199", "counter:s42"]) {
          expect((yield* journal(key)).map((row) => row.event.count)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
        }
        const sql = yield* SqlClient.SqlClient
        const disorder = yield* sql<{ n: string }>`
          select count(*) as n from (
            select (event->>'count')::int - lag((event->>'count')::int) over (partition by actor_key order by seq) as step
            from journal where actor_key like 'counter:%') steps
          where step <> 1`
        expect(disorder).toEqual([{ n: "0" }])
        console.log(
          `ActorHost 200 keys x 10 events: group commit (batches of up to 64) ${grouped.toFixed(0)} steps/s, ` +
            `one step per transaction ${single.toFixed(0)} steps/s (2 committers each), ratio ${(grouped / single).toFixed(2)}`
        )
      }).pipe(Effect.provide(MigratedDatabase)),
    60_000
  )
})
