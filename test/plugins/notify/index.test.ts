import { layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Effect, Either, TestClock } from "effect"
import { expect } from "vitest"
import notify from "../../../plugins/notify/index.ts"
import { render, templateProblem } from "../../../plugins/notify/template.ts"
import type { PluginEvent } from "../../../src/plugins/definePlugin.ts"
import { decodeConfig } from "../../../src/plugins/PluginConfig.ts"
import { MigratedDatabase } from "../../support/Gateway.ts"
import { groupCommand, harnessBot, makeHarness } from "../../support/PluginHarness.ts"

const team = -1001234567890
const now = Date.UTC(2026, 10, 26, 8, 0)
let nextEvent = 1

/** An external system posted `body` to `POST /api/v1/events/{source}` with the team's token. */
const apiEvent = (source: string, body: unknown): PluginEvent => ({
  type: "api.eventReceived",
  eventId: `00000000-0000-4000-8000-${String(nextEvent++).padStart(12, "0")}`,
  source,
  chatId: team,
  body,
  receivedAt: new Date(now).toISOString()
})
const apiKey = `api:${team}`

const outboxNow = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.map(sql<{ id: string }>`select coalesce(max(id), 0) as id from outbox`, ([row]) => Number(row!.id))
)
/** Telegram accepted the plugin's messages queued since `since`: each gets a message id (9000 + outbox id). */
const sendAll = (since: number) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<{ id: string }>`
        update outbox set status = 'sent', sent_at = now(), result = jsonb_build_object('message_id', 9000 + id)
        where actor_key = 'plugin:notify' and status = 'pending' and method = 'sendMessage' and id > ${since}
        returning id`,
      (rows) => rows.map((row) => 9000 + Number(row.id)).sort((a, b) => a - b)
    )
  )

const payments = {
  topic: 42,
  template: "Payment of {{amount}} {{currency}} from {{customer.name}} <{{customer.email}}>",
  severity: "critical"
}

layer(MigratedDatabase, { timeout: 60_000 })("notify, through the plugin harness", (it) => {
  it("templates fill fields from the body, escape HTML, show missing fields plainly, run nothing", () => {
    const body = {
      amount: 12.5,
      customer: { name: "Ann & <b>Bob</b>", tags: ["vip", 2] },
      items: [{ sku: "A-1" }],
      paid: true,
      note: null
    }
    expect(render("{{amount}} by {{ customer.name }}", body, true)).toBe(
      "12.5 by Ann &amp; &lt;b&gt;Bob&lt;/b&gt;"
    )
    expect(render("<i>{{items.0.sku}}</i> {{paid}} {{note}}", body, true)).toBe(
      "&lt;i&gt;A-1&lt;/i&gt; true null"
    )
    expect(render("{{customer.tags}} {{customer}}", body, false)).toBe(
      `["vip",2] {"name":"Ann & <b>Bob</b>","tags":["vip",2]}`
    )
    expect(render("{{currency}} {{customer.address.city}}", body, true)).toBe(
      "(no currency) (no customer.address.city)"
    )
    // Only the body's own fields: nothing inherited, nothing evaluated.
    expect(render("{{constructor}} {{__proto__.x}} {{amount.toFixed}}", body, true)).toBe(
      "(no constructor) (no __proto__.x) (no amount.toFixed)"
    )
    expect(render("{{long}}", { long: "x".repeat(600) }, false)).toHaveLength(500)
    expect(templateProblem("Paid {{ amount }}")).toBeUndefined()
    expect(templateProblem("Paid {{amount")).toBe("“{{amount” is not closed with }}")
    expect(templateProblem("Paid {{amount * 2}}")).toBe(
      "{{amount * 2}} is not a field path such as {{order.id}}"
    )
    expect(templateProblem("Paid amount}}")).toBe("}} closes no {{")
  })

  it.scoped("an API event posts into its route's topic by source, with its severity mark", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(now)
      const harness = yield* makeHarness(notify, {
        config: {
          routes: {
            payments,
            billing: { source: "stripe", topic: 43, template: "Invoice {{id}}", severity: "warning" },
            monitoring: { topic: 44, template: "{{check}} is {{state}}" }
          }
        }
      })
      yield* harness.deliver(
        apiEvent("payments", { amount: 12.5, customer: { name: "Ann & Bob", email: "ann@example.com" } }),
        apiKey
      )
      yield* harness.deliver(apiEvent("stripe", { id: "in_1" }), apiKey)
      yield* harness.deliver(apiEvent("billing", { id: "in_2" }), apiKey) // billing takes "stripe" only
      yield* harness.deliver(apiEvent("monitoring", { check: "db" }), apiKey)
      yield* harness.deliver(apiEvent("nobody", { check: "db" }), apiKey)
      expect(
        (yield* harness.outbox).map((call) => [
          call.method,
          call.chatId,
          call.params["message_thread_id"],
          call.params["text"],
          call.params["parse_mode"],
          call.params["disable_notification"]
        ])
      ).toEqual([
        [
          "sendMessage",
          team,
          42,
          "🚨 <b>payments</b>\nPayment of 12.5 (no currency) from Ann &amp; Bob &lt;ann@example.com&gt;",
          "HTML",
          false
        ],
        ["sendMessage", team, 43, "⚠️ <b>billing</b>\nInvoice in_1", "HTML", false],
        ["sendMessage", team, 44, "ℹ️ <b>monitoring</b>\ndb is (no state)", "HTML", true]
      ])
    })
  )

  it.scoped("another plugin's event reaches the routes that list it", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(now)
      const harness = yield* makeHarness(notify, {
        config: {
          routes: {
            work: { events: ["tasks.changed"], topic: 50, template: "Task #{{taskId}} {{action}}: {{text}}" }
          }
        }
      })
      yield* harness.deliver({
        type: "tasks.changed",
        connection: harnessBot,
        chatId: team,
        threadId: 7,
        taskId: 3,
        action: "done",
        text: "Call back",
        status: "done",
        assignee: null,
        due: null,
        by: null
      })
      yield* harness.deliver(apiEvent("work", { taskId: 9 }), apiKey) // and its own source, by its name
      expect((yield* harness.outbox).map((call) => call.params["text"])).toEqual([
        "ℹ️ <b>work</b>\nTask #3 done: Call back",
        "ℹ️ <b>work</b>\nTask #9 (no action): (no text)"
      ])
    })
  )

  it.scoped(
    "repeats of a dedup key update one message with a count; another key or a later one posts anew",
    () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(now)
        const since = yield* outboxNow
        const harness = yield* makeHarness(notify, {
          config: {
            routes: {
              monitoring: {
                topic: 44,
                template: "{{check}} is {{state}}",
                severity: "warning",
                dedup: { key: "{{check}}", seconds: 300 }
              }
            }
          }
        })
        const down = (check: string, state = "down") =>
          harness.deliver(apiEvent("monitoring", { check, state }), apiKey)
        yield* down("db")
        // A repeat before Telegram took the first message: the edit waits for its id.
        yield* down("db", "still down")
        expect((yield* harness.timers).map((timer) => timer.name)).toEqual([
          `edit:${team}:dedup:monitoring:db`
        ])
        const [first] = yield* sendAll(since)
        yield* down("db", "down again")
        yield* down("api")
        yield* harness.fire(`edit:${team}:dedup:monitoring:db`) // already shown: no second edit
        yield* TestClock.adjust("301 seconds")
        yield* down("db", "down, later")
        expect(
          (yield* harness.outbox).map((call) => [
            call.method,
            call.params["message_id"] ?? null,
            call.params["text"]
          ])
        ).toEqual([
          ["sendMessage", null, "⚠️ <b>monitoring</b>\ndb is down"],
          ["editMessageText", first, "⚠️ <b>monitoring</b> ×3\ndb is down again"],
          ["sendMessage", null, "⚠️ <b>monitoring</b>\napi is down"],
          ["sendMessage", null, "⚠️ <b>monitoring</b>\ndb is down, later"]
        ])
      })
  )

  it.scoped("over its rate limit a route holds notifications back, counts them and sums them up", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(now)
      const harness = yield* makeHarness(notify, {
        config: { routes: { alerts: { topic: 45, template: "{{n}}", rateLimit: { max: 2, seconds: 60 } } } }
      })
      for (const n of [1, 2, 3, 4, 5]) yield* harness.deliver(apiEvent("alerts", { n }), apiKey)
      const [timer] = yield* harness.timers
      expect(timer?.name).toBe(`rate:${team}:alerts`)
      expect(timer?.dueInMs).toBeLessThanOrEqual(60_000)
      yield* TestClock.adjust("60 seconds")
      yield* harness.fire(`rate:${team}:alerts`)
      yield* harness.deliver(apiEvent("alerts", { n: 6 }), apiKey)
      expect(
        (yield* harness.outbox).map((call) => [call.params["message_thread_id"], call.params["text"]])
      ).toEqual([
        [45, "ℹ️ <b>alerts</b>\n1"],
        [45, "ℹ️ <b>alerts</b>\n2"],
        [
          45,
          "⏸ <b>alerts</b>: 3 more notifications were held back by the rate limit (2 per 60 s). The last:\nℹ️ <b>alerts</b>\n5"
        ],
        [45, "ℹ️ <b>alerts</b>\n6"]
      ])
    })
  )

  it.scoped(
    "a topic given by name, or the Notifications topic, is found, or created once and then used",
    () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(now)
        const harness = yield* makeHarness(notify, {
          admins: [21],
          config: {
            routes: {
              payments: { topic: "Payments", template: "{{amount}}" },
              deploys: { template: "{{version}}" }
            }
          }
        })
        yield* harness.deliver(apiEvent("payments", { amount: 1 }), apiKey)
        yield* harness.deliver(apiEvent("payments", { amount: 2 }), apiKey)
        // Created through the group actor (it registers the bot's own topic), once while it is made.
        const createPayments = {
          actorKey: `group:${team}`,
          event: { type: "group.createTopic", connection: harnessBot, name: "Payments" }
        }
        expect(yield* harness.outbox).toEqual([])
        expect(yield* harness.mail).toEqual([createPayments])
        yield* harness.deliver({
          type: "group.topicRegistered",
          chatId: team,
          threadId: 77,
          name: "Payments",
          kind: "unknown"
        })
        yield* harness.deliver(apiEvent("payments", { amount: 3 }), apiKey)
        // The Notifications topic: the one an admin marks with /notify here.
        yield* harness.deliver(
          groupCommand({
            chatId: team,
            threadId: 88,
            text: "/notify here",
            from: { id: 21, first_name: "Dana", is_bot: false }
          })
        )
        yield* harness.deliver(apiEvent("deploys", { version: "1.2" }), apiKey)
        yield* harness.deliver({ type: "group.topicRenamed", chatId: team, threadId: 77, name: "Money" })
        yield* harness.deliver(apiEvent("payments", { amount: 4 }), apiKey) // "Payments" is gone: made anew
        expect(
          (yield* harness.outbox).map((call) => [
            call.method,
            call.params["message_thread_id"],
            call.params["text"] ?? call.params["name"]
          ])
        ).toEqual([
          ["sendMessage", 77, "ℹ️ <b>payments</b>\n1"],
          ["sendMessage", 77, "ℹ️ <b>payments</b>\n2"],
          ["sendMessage", 77, "ℹ️ <b>payments</b>\n3"],
          ["sendMessage", 88, "Notifications of routes without a topic now go here."],
          ["sendMessage", 88, "ℹ️ <b>deploys</b>\n1.2"]
        ])
        expect(yield* harness.mail).toEqual([
          createPayments,
          {
            actorKey: `group:${team}`,
            event: { type: "group.setTopicKind", threadId: 88, kind: "notifications" }
          },
          createPayments
        ])
      })
  )

  it("refuses a bad configuration, naming the route and the field", () => {
    const problem = (route: Record<string, unknown>, name = "payments") =>
      Either.match(decodeConfig(notify, { routes: { [name]: route } }), {
        onLeft: (message) => message,
        onRight: () => "accepted"
      })
    expect(problem(payments)).toBe("accepted")
    expect(problem({ ...payments, severity: "urgent" })).toBe(
      "config.routes.payments.severity: must be info, warning or critical"
    )
    expect(problem({ ...payments, template: "Paid {{amount" })).toBe(
      "config.routes.payments.template: “{{amount” is not closed with }}"
    )
    expect(problem({ ...payments, template: "" })).toBe("config.routes.payments.template: must not be empty")
    expect(problem({ ...payments, topic: 1 })).toBe(
      "config.routes.payments.topic: must be a topic's thread id (a number over 1) or its name"
    )
    expect(problem({ ...payments, events: ["billing.paid"] })).toBe(
      "config.routes.payments.events.0: must be one of the events notify takes: tasks.changed, announcements.posted"
    )
    expect(problem({ ...payments, rateLimit: { max: 0, seconds: 60 } })).toBe(
      "config.routes.payments.rateLimit.max: must be a whole number, 1 to 1000"
    )
    expect(problem({ ...payments, dedup: { key: "{{id}}", seconds: -5 } })).toBe(
      "config.routes.payments.dedup.seconds: dedup.seconds must be a whole number of seconds, 1 to 604800"
    )
    expect(problem({ ...payments, dedupe: { key: "{{id}}" } })).toMatch(
      /^config\.routes\.payments\.dedupe: is unexpected/
    )
    expect(problem({ topic: 42 })).toBe("config.routes.payments.template: is missing")
    expect(problem(payments, "Pay Ments")).toMatch(
      /^config\.routes\.Pay Ments: a route's name is lower-case letters, digits, - or _ \(at most 32\)$/
    )
  })
})
