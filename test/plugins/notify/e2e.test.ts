import { randomUUID } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { createTestDatabase } from "../../support/Database.ts"
import { eventually, startDemo, type Demo, type SeenMessage } from "../../support/Demo.ts"
import { makeTempDir } from "../../support/TempDir.ts"

const GENERAL = 1

const plugins = [
  {
    id: "notify",
    config: {
      routes: {
        payments: {
          template: "Payment of {{amount}} {{currency}} for order {{order.id}} <{{customer}}>",
          severity: "warning",
          dedup: { key: "{{order.id}}", seconds: 600 }
        },
        deploys: { template: "Deployed {{version}}", topic: "Deploys" },
        work: {
          events: ["tasks.changed"],
          template: "Task #{{taskId}} {{action}} by {{by.first_name}}: {{text}}"
        }
      }
    }
  },
  { id: "tasks" }
]

describe("notify, end to end: routes post API and plugin events into the Notifications topic", () => {
  // As useDemo, with the database at hand: the HTTP API's events are journalled here as it will.
  let demo: Demo
  let database: { url: string; drop: () => Promise<void> }
  let db: pg.Client
  const dir = makeTempDir("notify")
  beforeAll(async () => {
    database = await createTestDatabase()
    fs.writeFileSync(path.join(dir.path, "plugins.json"), JSON.stringify({ plugins }))
    demo = await startDemo({ DATABASE_URL: database.url }, { cwd: dir.path })
    db = new pg.Client({ connectionString: database.url })
    await db.connect()
  }, 90_000)
  afterAll(async () => {
    await db?.end()
    await demo?.stop()
    await database?.drop()
    dir.remove()
  })

  /** `POST /api/v1/events/{source}` as the HTTP API hands it to plugins: `api.eventReceived` in the journal. */
  const apiEvent = async (source: string, body: unknown) => {
    const event = {
      type: "api.eventReceived",
      eventId: randomUUID(),
      source,
      chatId: demo.group,
      body,
      receivedAt: new Date().toISOString()
    }
    await db.query(
      "insert into journal (actor_key, cause, ordinal, type, event) values ($1, $2, 0, $3, $4::jsonb)",
      [`api:${demo.group}`, `api:${event.eventId}`, event.type, JSON.stringify(event)]
    )
    await db.query("select pg_notify('journal', $1)", [`api:${demo.group}`])
  }
  const dana = () => demo.admin.id
  const fromBot = async (thread: number) =>
    (await demo.topicMessages(dana(), thread)).filter((message) => message.from?.id === demo.bot)
  const botSays = (thread: number, test: (message: SeenMessage) => boolean) =>
    eventually(async () => (await fromBot(thread)).find(test))

  it("an API event posts into the Notifications topic; repeats update that message with a count", async () => {
    const thread = (
      await demo.post<{ message_thread_id: number }>(`/chats/${demo.group}/topics`, {
        from: dana(),
        name: "Notifications"
      })
    ).message_thread_id
    await demo.teamSays(dana(), thread, "/notify here")
    await botSays(
      thread,
      (message) => message.text === "Notifications of routes without a topic now go here."
    )

    const paid = { amount: 12.5, order: { id: 17 }, customer: "Ann <ann@example.com>" }
    await apiEvent("payments", paid)
    const first = await botSays(thread, (message) => message.text?.includes("payments") === true)
    expect(first.text).toBe("⚠️ payments\nPayment of 12.5 (no currency) for order 17 <Ann <ann@example.com>>")
    // The route's name in bold; the body's "<…>" stays text (Telegram only spots the address in it).
    expect(first.entities?.map((entity) => entity.type)).toEqual(["bold", "email"])

    await apiEvent("payments", { ...paid, amount: 13 })
    await apiEvent("payments", { ...paid, amount: 14 })
    const updated = await botSays(thread, (message) => message.text?.startsWith("⚠️ payments ×3") === true)
    expect(updated.message_id).toBe(first.message_id)
    expect(updated.text).toBe(
      "⚠️ payments ×3\nPayment of 14 (no currency) for order 17 <Ann <ann@example.com>>"
    )
    expect(
      (await fromBot(thread)).filter((message) => message.text?.includes("payments") === true)
    ).toHaveLength(1)

    // Another order is another message; a source no route takes posts nothing.
    await apiEvent("refunds", { order: { id: 18 } })
    await apiEvent("payments", { amount: 3, currency: "EUR", order: { id: 18 }, customer: "Bo" })
    await botSays(thread, (message) => message.text === "⚠️ payments\nPayment of 3 EUR for order 18 <Bo>")
    expect((await fromBot(thread)).map((message) => message.text?.split("\n")[0])).toEqual([
      "Notifications of routes without a topic now go here.",
      "⚠️ payments ×3",
      "⚠️ payments"
    ])
  }, 90_000)

  it("another plugin's event (a task created) posts into the Notifications topic by its route", async () => {
    const thread = (await demo.topicNamed("Notifications")).message_thread_id
    await demo.post("/messages", { from: dana(), chat_id: demo.group, text: "/task Check the refund" })
    await botSays(GENERAL, (message) => message.text?.startsWith("📋 Task #1 · open") === true)
    const posted = await botSays(thread, (message) => message.text?.startsWith("ℹ️ work") === true)
    expect(posted.text).toBe("ℹ️ work\nTask #1 created by Dana: Check the refund")
  }, 90_000)

  it("a route naming a topic the group lacks creates it once and posts there, the waiting events too", async () => {
    await apiEvent("deploys", { version: "1.0" })
    await apiEvent("deploys", { version: "1.1" })
    const topic = await demo.topicNamed("Deploys")
    const posted = await eventually(async () => {
      const texts = (await fromBot(topic.message_thread_id)).map((message) => message.text)
      return texts.length === 2 ? texts : undefined
    })
    expect(posted).toEqual(["ℹ️ deploys\nDeployed 1.0", "ℹ️ deploys\nDeployed 1.1"])
    // The group registered the topic it made: the next event goes straight there, no topic more.
    await apiEvent("deploys", { version: "1.2" })
    await botSays(topic.message_thread_id, (message) => message.text === "ℹ️ deploys\nDeployed 1.2")
    expect((await demo.topics()).filter((found) => found.name === "Deploys")).toHaveLength(1)
    const [group] = (
      await db.query<{ topics: Record<string, { name: string; kind: string }> }>(
        "select snapshot -> 'state' -> 'context' -> 'topics' as topics from actor_snapshot where actor_key = $1",
        [`group:${demo.group}`]
      )
    ).rows
    expect(group?.topics[String(topic.message_thread_id)]).toMatchObject({ name: "Deploys", kind: "unknown" })
  }, 90_000)
})
