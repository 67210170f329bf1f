import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { BacklineProcess } from "../../support/Backline.ts"
import { createTestDatabase } from "../../support/Database.ts"

/** Polls `probe` until it answers something other than `undefined`; throws after `timeoutMs`. */
const eventually = async <A>(probe: () => Promise<A | undefined>, timeoutMs = 20_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error("condition not met in time")
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe("backline start runs the whole runtime", () => {
  let database: { url: string; drop: () => Promise<void> }
  beforeAll(async () => {
    database = await createTestDatabase()
  })
  afterAll(() => database.drop())

  it("a topic created in the demo group reaches the group actor's journal, the inbox row is done, and the outbox is sent", async () => {
    const backline = new BacklineProcess(["start"], { DATABASE_URL: database.url, HTTP_PORT: "0" })
    const client = new pg.Client({ connectionString: database.url })
    try {
      const [, apiRoot] = await backline.waitFor(/Bot API root (http:\/\/\S+)/)
      const [, groupId] = await backline.waitFor(/demo backend group: ".*" \((-\d+)\)/)
      const [, adminId] = await backline.waitFor(/demo admin: .* \((\d+)\)/)
      const url = await backline.running()

      const created = await fetch(`${apiRoot}/sandbox/v1/chats/${groupId}/topics`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ from: Number(adminId), name: "Billing" })
      })
      expect(created.status).toBe(200)
      const topic = (await created.json()) as { message_thread_id: number }

      await client.connect()
      const journal = await eventually(async () => {
        const { rows } = await client.query<{ actor_key: string; cause: string; event: unknown }>(
          "select actor_key, cause, event from journal where type = 'group.topicRegistered'"
        )
        return rows.length > 0 ? rows : undefined
      })
      expect(journal.map((row) => row.cause)).toEqual([expect.stringMatching(/^inbox:bot:\d+\/\d+$/)])
      expect(journal.map(({ actor_key, event }) => ({ actor_key, event }))).toEqual([
        {
          actor_key: `group:${groupId}`,
          event: {
            type: "group.topicRegistered",
            chatId: Number(groupId),
            threadId: topic.message_thread_id,
            name: "Billing",
            kind: "unknown"
          }
        }
      ])
      const [connection, updateId] = (journal[0]?.cause ?? "").slice("inbox:".length).split("/")
      const inbox = await client.query<{
        status: string
        payload: { message?: { forum_topic_created?: { name: string } } }
      }>("select status, payload from inbox where connection_id = $1 and update_id = $2", [
        connection,
        updateId
      ])
      expect(inbox.rows.map((row) => [row.status, row.payload.message?.forum_topic_created?.name])).toEqual([
        ["done", "Billing"]
      ])

      // The way back: an outbox row is sent to the demo group by the Sender.
      const queued = await client.query<{ id: string }>(
        "insert into outbox (connection_id, chat_id, method, params) values ($1, $2, 'sendMessage', $3) returning id",
        [
          connection,
          groupId,
          JSON.stringify({ text: "It ships today", message_thread_id: topic.message_thread_id })
        ]
      )
      await client.query("select pg_notify('outbox', $1)", [connection])
      const sent = await eventually(async () => {
        const { rows } = await client.query<{ status: string; result: { text?: string } | null }>(
          "select status, result from outbox where id = $1 and status <> 'pending'",
          [queued.rows[0]?.id]
        )
        return rows[0]
      })
      expect([sent.status, sent.result?.text]).toEqual(["sent", "It ships today"])

      // What the run looks like from /metrics.
      const metrics = await (await fetch(`${url}/metrics`)).text()
      expect(metrics).toMatch(/^backline_journal_rows [1-9]\d*$/m)
      expect(metrics).toMatch(/^backline_inbox_updates\{status="pending"\} 0$/m)
      expect(metrics).toMatch(/^backline_actors_active 1$/m)
      expect(metrics).toMatch(/^backline_telegram_sends_total\{method="sendMessage",result="sent"\} 1$/m)
      expect(metrics).toMatch(/^backline_router_updates_total\{result="delivered"\} [1-9]\d*$/m)
    } finally {
      await client.end().catch(() => undefined)
      const exit = await backline.stop("SIGINT")
      expect(exit).toEqual({ code: 0, signal: null })
      expect(backline.stderr).toBe("")
    }
  }, 60_000)

  it("a client's message opens a topic with the client card, and the operator's answer reaches the client", async () => {
    const backline = new BacklineProcess(["start"], { DATABASE_URL: database.url, HTTP_PORT: "0" })
    try {
      const [, apiRoot] = await backline.waitFor(/Bot API root (http:\/\/\S+)/)
      const [, botId] = await backline.waitFor(/demo bot: @\S+ \((\d+)\)/)
      const [, groupId] = await backline.waitFor(/demo backend group: ".*" \((-\d+)\)/)
      const [, operatorId] = await backline.waitFor(/demo operators: [^(]*\((\d+)\)/)
      const [, clientName, clientId] = await backline.waitFor(/demo clients: ([^@(]+?) (?:@\S+ )?\((\d+)\)/)
      await backline.running()
      const control = `${apiRoot}/sandbox/v1`
      const post = async (path: string, body: unknown) => {
        const response = await fetch(`${control}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body)
        })
        expect(response.status).toBe(200)
        return (await response.json()) as { message_id: number }
      }
      const messages = async (chat: string | undefined, as: string | undefined, thread?: number) => {
        const query = `as=${as}${thread === undefined ? "" : `&message_thread_id=${thread}`}`
        const response = await fetch(`${control}/chats/${chat}/messages?${query}`)
        return (await response.json()) as Array<{ text?: string; from?: { id: number } }>
      }

      // A bare /start opens nothing; the first real message opens the topic.
      await post("/messages", { from: Number(clientId), chat_id: Number(botId), text: "/start" })
      await post("/messages", { from: Number(clientId), chat_id: Number(botId), text: "Where is my order?" })
      await post("/messages", { from: Number(clientId), chat_id: Number(botId), text: "It is #1042" })
      const topic = await eventually(async () => {
        const response = await fetch(`${control}/chats/${groupId}/topics`)
        const topics = (await response.json()) as Array<{ message_thread_id: number; name: string }>
        return topics.find((found) => found.name === `🔴 ${clientName}`)
      })
      const inTopic = await eventually(async () => {
        // Leaving out the service message that opens the topic.
        const found = (await messages(groupId, operatorId, topic.message_thread_id)).filter(
          (message) => message.text !== undefined
        )
        return found.length >= 3 ? found : undefined
      })
      expect(inTopic.map((message) => message.text?.split("\n")[0])).toEqual([
        `👤 ${clientName}`,
        "Where is my order?",
        "It is #1042"
      ])

      // The operator answers in the topic; an internal comment stays in the group.
      await post("/messages", {
        from: Number(operatorId),
        chat_id: Number(groupId),
        message_thread_id: topic.message_thread_id,
        text: "/ checking the warehouse"
      })
      await post("/messages", {
        from: Number(operatorId),
        chat_id: Number(groupId),
        message_thread_id: topic.message_thread_id,
        text: "It ships today"
      })
      const seen = await eventually(async () => {
        const found = await messages(botId, clientId)
        return found.some((message) => message.text === "It ships today") ? found : undefined
      })
      expect(
        seen.filter((message) => message.from?.id === Number(botId)).map((message) => message.text)
      ).toEqual([
        `Hello, ${clientName}! Thanks for writing. The team will answer here soon.`,
        "It ships today"
      ])
      const topicNow = async () => {
        const response = await fetch(`${control}/chats/${groupId}/topics`)
        const topics = (await response.json()) as Array<{
          message_thread_id: number
          name: string
          is_closed: boolean
        }>
        return topics.find((found) => found.message_thread_id === topic.message_thread_id)
      }
      await eventually(async () => ((await topicNow())?.name === `🟢 ${clientName}` ? true : undefined))

      // /close closes the topic; the client's next message reopens it, awaiting the team.
      await post("/messages", {
        from: Number(operatorId),
        chat_id: Number(groupId),
        message_thread_id: topic.message_thread_id,
        text: "/close"
      })
      await eventually(async () => {
        const now = await topicNow()
        return now?.is_closed === true && now.name === `⚪ ${clientName}` ? true : undefined
      })
      await post("/messages", { from: Number(clientId), chat_id: Number(botId), text: "One more question" })
      await eventually(async () => {
        const now = await topicNow()
        return now?.is_closed === false && now.name === `🔴 ${clientName}` ? true : undefined
      })
    } finally {
      const exit = await backline.stop("SIGINT")
      expect(exit).toEqual({ code: 0, signal: null })
      expect(backline.stderr).toBe("")
    }
  }, 60_000)
})
