import { performance } from "node:perf_hooks"
import { FetchHttpClient } from "@effect/platform"
import { SqlClient } from "@effect/sql"
import { layer } from "@effect/vitest"
import {
  Context,
  Duration,
  Effect,
  Either,
  ExecutionStrategy,
  Exit,
  Layer,
  Logger,
  LogLevel,
  Scope
} from "effect"
import { expect } from "vitest"
import { ActorHost } from "../../../src/actors/ActorHost.ts"
import { decodeUpdate } from "../../../src/domain/Events.ts"
import { ConnectionId } from "../../../src/domain/Ids.ts"
import { definePlugin, type AnyPlugin } from "../../../src/plugins/definePlugin.ts"
import { PluginHost } from "../../../src/plugins/PluginHost.ts"
import { PluginHostConfig } from "../../../src/plugins/PluginHostConfig.ts"
import { PluginRegistry } from "../../../src/plugins/PluginRegistry.ts"
import { PluginRetries, type DeadLetter } from "../../../src/plugins/PluginRetries.ts"
import { eventually, MigratedDatabase } from "../../support/Gateway.ts"

/** Rows each measured run appends, spread over `GROUPS` group actors. */
const ROWS = 160
const GROUPS = 32

const settings = {
  ...PluginHostConfig.defaultValue(),
  pollInterval: Duration.millis(50),
  handlerTimeout: Duration.millis(200),
  maxAttempts: 2,
  initialBackoff: Duration.millis(20),
  maxBackoff: Duration.millis(200)
}

/**
 * A running PluginHost with `plugins`, until `scope` closes. Its warnings (one per failed attempt
 * of the bad plugins, hundreds here) are left out of the test's output.
 */
const hostIn = (scope: Scope.Scope, plugins: ReadonlyArray<AnyPlugin>) =>
  Layer.build(
    PluginHost.Default.pipe(
      Layer.provide(
        PluginRegistry.layer(
          plugins.map((plugin) => ({ plugin, defaults: {}, enabled: true, system: false }))
        )
      ),
      Layer.provide(FetchHttpClient.layer),
      Layer.provide(Layer.succeed(PluginHostConfig, settings)),
      Layer.provide(Logger.minimumLogLevel(LogLevel.Error))
    )
  ).pipe(Scope.extend(scope))

const percentile = (values: ReadonlyArray<number>, p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN
}

const figures = (values: ReadonlyArray<number>) => ({
  p50: percentile(values, 0.5),
  p95: percentile(values, 0.95)
})

const ms = ({ p50, p95 }: { p50: number; p95: number }) =>
  `p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms`

layer(MigratedDatabase, { timeout: 120_000, excludeTestServices: true })(
  "plugin isolation (real PostgreSQL, real actors)",
  (it) => {
    it.scoped(
      "a plugin that throws and one that hangs delay neither a well-behaved plugin nor the actors; after a restart each plugin goes on from its cursor",
      () =>
        Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          const retries = yield* Effect.provide(PluginRetries, PluginRetries.Default)
          const actors = Context.get(yield* Layer.build(ActorHost.Default), ActorHost)

          // The well-behaved plugin notes when each message reached it, and posts it.
          let received: Array<{ readonly text: string; readonly at: number }> = []
          const steady = definePlugin({
            id: "steady",
            description: "Posts every message at once",
            on: {
              "group.messagePosted": (event, ctx) =>
                Effect.zipRight(
                  Effect.sync(() => received.push({ text: event.text ?? "", at: performance.now() })),
                  ctx.post({ chatId: event.chatId }, event.text ?? "")
                )
            }
          })
          const thrower = definePlugin({
            id: "thrower",
            description: "Throws on every message",
            on: {
              "group.messagePosted": () => {
                throw new Error("the handler threw")
              }
            }
          })
          const hanger = definePlugin({
            id: "hanger",
            description: "Never finishes with a message",
            on: { "group.messagePosted": () => Effect.promise(() => new Promise<never>(() => {})) }
          })

          // A step of a group actor, as the Router makes one for a Telegram update: the group machine
          // emits `group.messagePosted`, journalled by the StepCommitter. Answers the step's duration.
          const appendedAt = new Map<string, number>()
          let updateId = 0
          const post = (chatId: number, text: string) =>
            Effect.gen(function* () {
              const id = ++updateId
              const update = {
                update_id: id,
                message: {
                  message_id: id,
                  date: 1,
                  chat: { id: chatId, type: "supergroup", title: "Team", is_forum: true },
                  from: { id: 12, is_bot: false, first_name: "Bob" },
                  text
                }
              }
              const [event] = Either.getOrThrow(decodeUpdate(ConnectionId.make("bot:7"), update))
              const start = performance.now()
              appendedAt.set(text, start)
              yield* actors.deliver(`group:${chatId}`, event!, `inbox:bot:7/${id}`)
              return performance.now() - start
            })
          const texts = (label: string, count: number) =>
            Array.from({ length: count }, (_, i) => `${label}-${i}`)
          const groupOf = (i: number) => -100 - (i % GROUPS)

          /**
           * Appends `count` messages, one every 5 ms, and waits for the well-behaved plugin to have
           * them all: each step's duration, and each message's time from its step to the plugin.
           */
          const run = (label: string, count: number) =>
            Effect.gen(function* () {
              const steps: Array<number> = []
              for (const [i, text] of texts(label, count).entries()) {
                steps.push(yield* post(groupOf(i), text))
                yield* Effect.sleep("5 millis")
              }
              const wanted = new Set(texts(label, count))
              const seen = yield* eventually(
                Effect.sync(() => {
                  const mine = received.filter((entry) => wanted.has(entry.text))
                  return mine.length >= count ? mine : undefined
                }),
                "20 seconds"
              )
              return { steps, latencies: seen.map((entry) => entry.at - appendedAt.get(entry.text)!) }
            })

          // Each host runs in a scope of its own, closed to stop it (or with the test's, should it fail).
          const hostScope = Effect.flatMap(Effect.scope, (scope) =>
            Scope.fork(scope, ExecutionStrategy.sequential)
          )
          const first = yield* hostScope
          yield* hostIn(first, [steady])
          yield* run("warm-up", 64)
          const alone = yield* run("alone", ROWS)
          yield* Scope.close(first, Exit.void)

          const second = yield* hostScope
          yield* hostIn(second, [steady, thrower, hanger])
          const beside = yield* run("beside", ROWS)

          const delivery = { alone: figures(alone.latencies), beside: figures(beside.latencies) }
          const steps = { alone: figures(alone.steps), beside: figures(beside.steps) }
          console.log(
            `isolation: ${ROWS} messages over ${GROUPS} group actors, one every 5 ms\n` +
              `  well-behaved plugin, from the actor's step to its handler: alone ${ms(delivery.alone)}; ` +
              `beside a throwing and a hanging plugin ${ms(delivery.beside)}\n` +
              `  actor steps (ActorHost.deliver, journal committed): alone ${ms(steps.alone)}; ` +
              `beside them ${ms(steps.beside)}`
          )
          // Had the bad plugins held the good one back, its messages would wait for the 200 ms
          // timeouts, one after another; a generous bound leaves room for a busy machine.
          expect(delivery.beside.p95).toBeLessThan(delivery.alone.p95 * 3 + 75)
          expect(steps.beside.p95).toBeLessThan(steps.alone.p95 * 3 + 40)

          // Each bad plugin's deliveries die after their attempts; the good plugin has none.
          const seqs = (label: string) =>
            Effect.map(
              sql<{ seq: string }>`
                select seq from journal
                where type = 'group.messagePosted' and event->>'text' like ${`${label}-%`} order by seq`,
              (rows) => rows.map((row) => Number(row.seq)).sort((a, b) => a - b)
            ).pipe(Effect.orDie)
          const deadOf = (plugin: string, count: number) =>
            eventually(
              Effect.map(retries.deadLetters(plugin, 1000), (rows) =>
                rows.length >= count ? rows : undefined
              ),
              "20 seconds"
            )
          const bySeq = (rows: ReadonlyArray<DeadLetter>) => [...rows].sort((a, b) => a.seq - b.seq)
          const besideSeqs = yield* seqs("beside")
          const deadBefore = {
            thrower: bySeq(yield* deadOf("thrower", ROWS)),
            hanger: bySeq(yield* deadOf("hanger", ROWS))
          }
          expect(deadBefore.thrower.map((row) => row.seq)).toEqual(besideSeqs)
          expect(deadBefore.hanger.map((row) => row.seq)).toEqual(besideSeqs)
          expect(new Set(deadBefore.thrower.map((row) => `${row.attempts} ${row.error}`))).toEqual(
            new Set(["2 the handler threw"])
          )
          expect(new Set(deadBefore.hanger.map((row) => `${row.attempts} ${row.error}`))).toEqual(
            new Set(["2 timed out after 200ms"])
          )
          expect(yield* retries.deadLetters("steady")).toEqual([])

          // The host stops; the actors go on; a new host on the same database takes over.
          yield* Scope.close(second, Exit.void)
          received = []
          const down = texts("down", GROUPS)
          for (const [i, text] of down.entries()) yield* post(groupOf(i), text)
          yield* hostIn(yield* Effect.scope, [steady, thrower, hanger])

          yield* eventually(
            Effect.sync(() => received.length >= down.length || undefined),
            "20 seconds"
          )
          const downSeqs = yield* seqs("down")
          yield* deadOf("thrower", ROWS + GROUPS)
          yield* deadOf("hanger", ROWS + GROUPS)
          yield* Effect.sleep("300 millis") // time for a duplicate, if there were one
          // The good plugin got exactly what was appended while the host was down.
          expect(received.map((entry) => entry.text).sort()).toEqual([...down].sort())
          const posted = yield* sql<{ text: string; times: string }>`
            select params->>'text' as text, count(*) as times from outbox
            where actor_key = 'plugin:steady' group by params->>'text'`
          expect(posted.length).toBe(64 + 2 * ROWS + GROUPS)
          expect(posted.filter((row) => Number(row.times) !== 1)).toEqual([])
          // The bad plugins' dead letters are still there, untouched, and they too went on from their
          // cursors: the rows appended while down died in turn, none of the earlier ones again.
          for (const plugin of ["thrower", "hanger"] as const) {
            const after = bySeq(yield* retries.deadLetters(plugin, 1000))
            expect(after.length).toBe(ROWS + GROUPS)
            expect(after.filter((row) => besideSeqs.includes(row.seq))).toEqual(deadBefore[plugin])
            expect(after.filter((row) => !besideSeqs.includes(row.seq)).map((row) => row.seq)).toEqual(
              downSeqs
            )
          }
        })
    )
  }
)
