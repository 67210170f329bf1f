import { randomUUID } from "node:crypto"
import { FetchHttpClient } from "@effect/platform"
import { SqlClient } from "@effect/sql"
import { layer } from "@effect/vitest"
import { Deferred, Duration, Effect, Exit, Layer, Metric, Redacted, Scope } from "effect"
import { Api } from "grammy"
import { expect } from "vitest"
import { definePlugin, type AnyPlugin } from "../../../src/plugins/definePlugin.ts"
import { pluginDeliveriesTotal } from "../../../src/plugins/PluginDelivery.ts"
import { PluginHost } from "../../../src/plugins/PluginHost.ts"
import { PluginHostConfig } from "../../../src/plugins/PluginHostConfig.ts"
import { PluginRegistry } from "../../../src/plugins/PluginRegistry.ts"
import { PluginRetries } from "../../../src/plugins/PluginRetries.ts"
import { PluginSettings } from "../../../src/plugins/PluginSettings.ts"
import { Connections } from "../../../src/telegram/Connections.ts"
import tally from "../../plugins/tally/index.ts"
import { eventually, MigratedDatabase, sandbox } from "../../support/Gateway.ts"
import { groupMessage } from "../../support/PluginHarness.ts"

declare module "../../../src/plugins/definePlugin.ts" {
  interface PluginEmittedEvents {
    "herald.heard": {
      readonly type: "herald.heard"
      readonly connection: string
      readonly chatId: number
      readonly text: string
    }
  }
}

const fast = {
  pollInterval: Duration.millis(50),
  initialBackoff: Duration.millis(100),
  maxBackoff: Duration.seconds(1)
}

/** A running PluginHost with `plugins`, until the scope closes. */
const host = (plugins: ReadonlyArray<AnyPlugin>, config: Partial<PluginHostConfig["Type"]> = {}) =>
  Layer.build(
    PluginHost.Default.pipe(
      Layer.provide(
        PluginRegistry.layer(
          plugins.map((plugin) => ({ plugin, defaults: {}, enabled: true, system: false }))
        )
      ),
      Layer.provide(FetchHttpClient.layer),
      Layer.provide(
        Layer.succeed(PluginHostConfig, { ...PluginHostConfig.defaultValue(), ...fast, ...config })
      )
    )
  )

/** Appends a group message to the journal of `group:<chatId>`, as the group actor would. */
const posted = (chatId: number, text: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => {
    const event = groupMessage({ chatId, text })
    return sql`
      insert into journal (actor_key, cause, ordinal, type, event)
      values (${`group:${chatId}`}, ${`test:${randomUUID()}`}, 0, ${event.type}, ${JSON.stringify(event)}::jsonb)`
  }).pipe(Effect.orDie)

/** The texts a plugin posted, oldest first. */
const postedBy = (plugin: string) =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) => sql<{ text: string }>`
      select params->>'text' as text from outbox where actor_key = ${`plugin:${plugin}`} order by id`
  ).pipe(
    Effect.map((rows) => rows.map((row) => row.text)),
    Effect.orDie
  )

/** Posts every message it sees, after `pause`. */
const echo = (id: string, pause = Duration.zero) =>
  definePlugin({
    id,
    description: "Posts what it sees",
    on: {
      "group.messagePosted": (event, ctx) =>
        Effect.zipRight(Effect.sleep(pause), ctx.post({ chatId: event.chatId }, event.text ?? ""))
    }
  })

layer(MigratedDatabase, { timeout: 90_000, excludeTestServices: true })(
  "PluginHost (real PostgreSQL)",
  (it) => {
    it.scoped("a restarted host goes on after the last delivered row: nothing twice, nothing lost", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const plugin = echo("durable", Duration.millis(3))
        yield* posted(-11, "before the plugin existed")
        const first = yield* Scope.make()
        yield* host([plugin]).pipe(Scope.extend(first))
        for (let i = 0; i < 100; i++) yield* posted(-11 - (i % 4), `m${i}`)
        // Stopped while deliveries are in flight, then more happens while it is down.
        yield* eventually(Effect.map(postedBy("durable"), (texts) => texts.length >= 30))
        yield* Scope.close(first, Exit.void)
        for (let i = 100; i < 150; i++) yield* posted(-11 - (i % 4), `m${i}`)
        const stoppedAt = (yield* postedBy("durable")).length
        expect(stoppedAt).toBeLessThan(150)

        yield* host([plugin])
        const all = yield* eventually(
          Effect.map(postedBy("durable"), (texts) => (texts.length >= 150 ? texts : undefined)),
          "20 seconds"
        )
        yield* Effect.sleep("300 millis") // time for a duplicate, if there were one
        expect((yield* postedBy("durable")).length).toBe(150)
        expect(new Set(all)).toEqual(new Set(Array.from({ length: 150 }, (_, i) => `m${i}`)))
        const [last] = yield* sql<{ txid: string; seq: string }>`
        select txid::text as txid, seq from journal order by journal.txid desc, journal.seq desc limit 1`
        const cursor = yield* eventually(
          Effect.map(
            sql<{ actor_key: string; txid: string; seq: string }>`
            select actor_key, txid::text as txid, seq from plugin_cursor where plugin_id = 'durable'`,
            (rows) => (rows.length === 1 && rows[0]!.seq === last!.seq ? rows : undefined)
          ).pipe(Effect.orDie)
        )
        expect(cursor).toEqual([{ actor_key: "", txid: last!.txid, seq: last!.seq }])
      })
    )

    it.scoped("each actor's events arrive in order while different actors are handled at once", () =>
      Effect.gen(function* () {
        const bDone = yield* Deferred.make<void>()
        const seen = new Map<number, Array<string>>()
        const orderly = definePlugin({
          id: "orderly",
          description: "Records the order it sees events in",
          on: {
            "group.messagePosted": (event) =>
              Effect.gen(function* () {
                // The first event of -21 waits for all of -22's: a host that did not run actors at
                // once would never get there.
                if (event.text === "a0") yield* Deferred.await(bDone)
                yield* Effect.sleep(Duration.millis(Math.random() * 4))
                const list = [...(seen.get(event.chatId) ?? []), event.text ?? ""]
                seen.set(event.chatId, list)
                if (event.chatId === -22 && list.length === 10) yield* Deferred.succeed(bDone, undefined)
              })
          }
        })
        yield* host([orderly])
        for (let i = 0; i < 10; i++) {
          yield* posted(-21, `a${i}`)
          yield* posted(-22, `b${i}`)
          yield* posted(-23, `c${i}`)
        }
        yield* eventually(Effect.sync(() => (seen.get(-21)?.length ?? 0) === 10))
        for (const [chat, prefix] of [
          [-21, "a"],
          [-22, "b"],
          [-23, "c"]
        ] as const)
          expect(seen.get(chat)).toEqual(Array.from({ length: 10 }, (_, i) => `${prefix}${i}`))
      })
    )

    it.scoped(
      "a failing handler is retried with back-off, then dead-lettered; the actor's next events and other plugins go on",
      () =>
        Effect.gen(function* () {
          let fixed = false
          const attempts: Array<number> = []
          const flaky = definePlugin({
            id: "flaky",
            description: "Fails on boom until fixed",
            on: {
              "group.messagePosted": (event, ctx) =>
                Effect.gen(function* () {
                  if (event.text === "boom") {
                    attempts.push(Date.now())
                    if (!fixed) return yield* Effect.fail(new Error("the service said no"))
                  }
                  yield* ctx.post({ chatId: event.chatId }, event.text ?? "")
                })
            }
          })
          yield* host([flaky, echo("witness")], { maxAttempts: 3 })
          for (const [chat, text] of [
            [-31, "one"],
            [-31, "boom"],
            [-31, "two"],
            [-32, "other"]
          ] as const)
            yield* posted(chat, text)

          const retries = yield* Effect.provide(PluginRetries, PluginRetries.Default)
          const [dead] = yield* eventually(
            Effect.map(retries.deadLetters("flaky"), (rows) => (rows.length > 0 ? rows : undefined)),
            "10 seconds"
          )
          expect(dead).toMatchObject({
            actorKey: "group:-31",
            type: "group.messagePosted",
            attempts: 3,
            error: "the service said no"
          })
          expect(attempts).toHaveLength(3)
          const deliveries = (result: string) =>
            Metric.value(
              Metric.tagged(Metric.tagged(pluginDeliveriesTotal, "plugin", "flaky"), "result", result)
            ).pipe(Effect.map((state) => state.count))
          expect([yield* deliveries("retried"), yield* deliveries("dead")]).toEqual([2, 1])
          // Back-off: 100 ms after the first attempt, then 200 ms.
          expect(attempts[1]! - attempts[0]!).toBeGreaterThanOrEqual(95)
          expect(attempts[2]! - attempts[1]!).toBeGreaterThanOrEqual(195)
          // The other plugin saw everything at once; this one saw -31's "two" only after "boom" was given up.
          expect(yield* postedBy("witness")).toEqual(expect.arrayContaining(["one", "boom", "two", "other"]))
          const flakyPosts = yield* eventually(
            Effect.map(postedBy("flaky"), (texts) => (texts.includes("two") ? texts : undefined))
          )
          expect(flakyPosts.filter((text) => text !== "other")).toEqual(["one", "two"])
          const sql = yield* SqlClient.SqlClient
          const order = yield* sql<{ actor_key: string; text: string }>`
          select actor_key, params->>'text' as text from outbox
          where params->>'text' in ('two', 'boom') order by id`
          expect(order.map((row) => `${row.actor_key} ${row.text}`)).toEqual([
            "plugin:witness boom",
            "plugin:witness two",
            "plugin:flaky two"
          ])

          // An admin retries it once the service is fixed.
          fixed = true
          expect(yield* retries.retry("flaky")).toBe(1)
          yield* eventually(Effect.map(postedBy("flaky"), (texts) => texts.includes("boom")))
          expect(yield* retries.deadLetters("flaky")).toEqual([])
        })
    )

    it.scoped("a handler that takes too long is timed out and counted as failed", () =>
      Effect.gen(function* () {
        const sleepy = definePlugin({
          id: "sleepy",
          description: "Hangs on one message",
          on: {
            "group.messagePosted": (event, ctx) =>
              event.text === "hang" ? Effect.never : ctx.post({ chatId: event.chatId }, event.text ?? "")
          }
        })
        yield* host([sleepy], { handlerTimeout: Duration.millis(200), maxAttempts: 1 })
        yield* posted(-41, "hang")
        yield* posted(-41, "after")
        yield* eventually(Effect.map(postedBy("sleepy"), (texts) => texts.includes("after")))
        const dead = yield* Effect.flatMap(PluginRetries, (retries) => retries.deadLetters("sleepy")).pipe(
          Effect.provide(PluginRetries.Default)
        )
        expect(dead.map((row) => [row.attempts, row.error])).toEqual([[1, "timed out after 200ms"]])
      })
    )

    it.scoped(
      "an event a plugin emits reaches the plugins that handle it, where they are enabled, once",
      () =>
        Effect.gen(function* () {
          const herald = definePlugin({
            id: "herald",
            description: "Emits what it hears",
            on: {
              "group.messagePosted": (event, ctx) =>
                ctx.emit({
                  type: "herald.heard",
                  connection: event.connection,
                  chatId: event.chatId,
                  text: event.text ?? ""
                })
            }
          })
          const crier = definePlugin({
            id: "crier",
            description: "Cries what the herald heard",
            on: {
              "herald.heard": (event, ctx) => ctx.post({ chatId: event.chatId }, `hear ye: ${event.text}`)
            }
          })
          const settings = yield* Effect.provide(
            PluginSettings,
            PluginSettings.Default.pipe(
              Layer.provide(
                PluginRegistry.layer([{ plugin: crier, defaults: {}, enabled: true, system: false }])
              )
            )
          )
          yield* settings.setEnabled("crier", { chatId: -52 }, false)
          yield* host([herald, crier, echo("bystander")])
          yield* posted(-51, "the king")
          yield* posted(-52, "the queen") // the crier is off there
          yield* posted(-51, "the jester")
          const cried = yield* eventually(
            Effect.map(postedBy("crier"), (texts) => (texts.length >= 2 ? texts : undefined))
          )
          yield* Effect.sleep("300 millis") // time for a duplicate, if there were one
          expect(cried).toEqual(["hear ye: the king", "hear ye: the jester"])
          expect(yield* postedBy("crier")).toEqual(cried)
          const sql = yield* SqlClient.SqlClient
          const rows = yield* sql<{ actor_key: string; type: string }>`
          select actor_key, type from journal where type = 'herald.heard' order by seq`
          expect(rows).toEqual(
            Array.from({ length: 3 }, () => ({ actor_key: "plugin:herald", type: "herald.heard" }))
          )
        })
    )

    it.scoped("registers the plugins' commands with Telegram: members see the public ones, admins all", () =>
      Effect.gen(function* () {
        const box = yield* sandbox()
        const bot = box.world.createBot({ username: "menu_bot" })
        yield* Effect.flatMap(Connections, (connections) =>
          connections.add(Redacted.make(bot.token), box.apiRoot)
        ).pipe(Effect.provide(Connections.Default))
        yield* host([tally, echo("quiet")])
        const api = new Api(bot.token, { apiRoot: box.apiRoot })
        const menu = (scope: Parameters<Api["getMyCommands"]>[0]) =>
          Effect.promise(() => api.getMyCommands(scope)).pipe(
            Effect.map((commands) => commands.map((command) => command.command))
          )
        const admins = yield* eventually(
          Effect.map(menu({ scope: { type: "all_chat_administrators" } }), (names) =>
            names.length > 0 ? names : undefined
          )
        )
        expect(admins).toEqual(["tally", "remind"])
        expect(yield* menu({ scope: { type: "all_group_chats" } })).toEqual(["tally"])
        expect(yield* menu({})).toEqual([]) // nothing in private chats
      })
    )
  }
)
