import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { BacklineProcess } from "../../support/Backline.ts"
import { createTestDatabase } from "../../support/Database.ts"
import { eventually } from "../../support/Demo.ts"

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

      // What the run looks like from /metrics: the group's actor and the connection's (told by the
      // Gateway that it is online, which also posts that notice in General).
      const metrics = await eventually(async () => {
        const text = await (await fetch(`${url}/metrics`)).text()
        return /^backline_actors_active 2$/m.test(text) ? text : undefined
      })
      expect(metrics).toMatch(/^backline_journal_rows [1-9]\d*$/m)
      expect(metrics).toMatch(/^backline_inbox_updates\{status="pending"\} 0$/m)
      expect(metrics).toMatch(/^backline_telegram_sends_total\{method="sendMessage",result="sent"\} [12]$/m)
      expect(metrics).toMatch(/^backline_router_updates_total\{result="delivered"\} [1-9]\d*$/m)
    } finally {
      await client.end().catch(() => undefined)
      const exit = await backline.stop("SIGINT")
      expect(exit).toEqual({ code: 0, signal: null })
      expect(backline.stderr).toBe("")
    }
  }, 60_000)
})
