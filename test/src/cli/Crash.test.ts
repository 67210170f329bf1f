import pg from "pg"
import { describe, expect, it } from "vitest"
import { telegramLimits } from "../../../src/telegram/RateLimiter.ts"
import { helpdeskWorld, poll, sleep, startHelpdesk } from "../../support/Helpdesk.ts"
import { useSandbox } from "../../support/HelpdeskFixture.ts"

const clientCount = 200
const messagesPerClient = 10 // the dialog mutes a client after 20 within a minute
const kills = 5
/** Messages leave at this pace, so they keep coming while Backline is killed and restarted. */
const messagesPerSecond = 110

describe("backline start survives SIGKILL", () => {
  // The sandbox runs in this process, so Telegram keeps its state (and the updates it has not been
  // told arrived) across the kills.
  const env = useSandbox()

  it("2,000 client messages through 5 kills: every update applied once, every message in its client's topic, duplicates only from calls in flight at a kill", async () => {
    const started = Date.now()
    const world = env.sandbox.world
    const { owner, bot, group } = helpdeskWorld(world, { bot: "crash_bot", title: "Support" })
    const clients = Array.from({ length: clientCount }, (_, i) =>
      world.createUser({ first_name: "Client", last_name: String(i) })
    )

    /** The text each client message carries, by `<peer>/<message id>`. */
    const texts = new Map<string, string>()
    // What the team sees in the group, as it happens: copies of each text, topics of each name.
    const copies = new Map<string, number>()
    const stopWatching = world.world.onStored((chat, message) => {
      if (chat.id === group && message.from === bot.user.id && message.text?.startsWith("client "))
        copies.set(message.text, (copies.get(message.text) ?? 0) + 1)
    })
    const isCopied = (peer: unknown, id: unknown) =>
      (copies.get(texts.get(`${String(peer)}/${String(id)}`) ?? "") ?? 0) > 0
    const topicsNamed = (name: string) => world.topics(group).filter((topic) => topic.name === name).length

    const write = async () => {
      for (let i = 0; i < clientCount * messagesPerClient; i++) {
        const client = i % clientCount
        const text = `client ${client} message ${Math.floor(i / clientCount) + 1}`
        const user = clients[client]!
        const sent = world.sendMessage({ from: user.id, chat_id: bot.user.id, text })
        texts.set(`${user.id}/${sent.message_id}`, text)
        if (i % 10 === 9) await sleep((10 * 1000) / messagesPerSecond)
      }
    }

    const db = new pg.Client({ connectionString: env.database.url })
    let backline = startHelpdesk({
      databaseUrl: env.database.url,
      apiRoot: env.sandbox.apiRoot,
      token: bot.token,
      group
    })
    try {
      await backline.running()
      await db.connect()
      const writing = write()

      // A kill loses the outcome of the calls Telegram had carried out and the outbox had not yet
      // recorded; those are made again after the restart. The Sender holds one of the bot's
      // call slots (`inFlightWithoutLimits`, 128, as its limits are off) from a call until its
      // outcome is recorded, so that is at most 128 calls per kill. Counted at each kill, with the process gone: pending
      // copies already in the group (and the messages they copy), pending topics that exist.
      const windows: Array<{ at: number; calls: number; copies: number; topics: number }> = []
      for (let kill = 0; kill < kills; kill++) {
        await sleep(300 + Math.random() * 2200)
        const at = Date.now() - started
        backline.kill("SIGKILL")
        expect(await backline.exited).toEqual({ code: null, signal: "SIGKILL" })
        await sleep(500) // requests the process wrote before it died reach the sandbox
        const { rows } = await db.query<{ method: string; params: Record<string, unknown> }>(
          "select method, params from outbox where status = 'pending'"
        )
        const window = { at, calls: 0, copies: 0, topics: 0 }
        for (const { method, params } of rows) {
          const ids =
            method === "copyMessages"
              ? (params["message_ids"] as Array<number>)
              : method === "copyMessage"
                ? [params["message_id"]]
                : []
          const copied = ids.filter((id) => isCopied(params["from_chat_id"], id)).length
          const opened = method === "createForumTopic" && topicsNamed(String(params["name"])) > 0 ? 1 : 0
          window.copies += copied
          window.topics += opened
          if (copied + opened > 0) window.calls += 1
        }
        expect(window.calls).toBeLessThanOrEqual(telegramLimits.inFlightWithoutLimits)
        windows.push(window)
        backline = backline.restart()
        await backline.running()
      }
      await writing

      const total = clientCount * messagesPerClient
      // Drained: every update received (those written while Backline was down come after its last
      // start) and applied, every call made, every result mailed back applied.
      await poll(async () => {
        const { rows } = await db.query<{ received: string; inbox: string; outbox: string; mail: string }>(`
          select (select count(*) from inbox) as received,
            (select count(*) from inbox where status = 'pending') as inbox,
            (select count(*) from outbox where status = 'pending') as outbox,
            (select count(*) from actor_mail where status = 'pending') as mail`)
        const row = rows[0]!
        const drained = row.inbox === "0" && row.outbox === "0" && row.mail === "0"
        return drained && row.received === String(total + 1) ? row : undefined
      }, 30_000)

      // The client messages, and the bot's own my_chat_member from being made admin.
      const inbox = await db.query<{ status: string; n: string }>(
        "select status, count(*) as n from inbox group by status"
      )
      expect(inbox.rows).toEqual([{ status: "done", n: String(total + 1) }])
      const failed = await db.query("select method, error from outbox where status = 'failed'")
      expect(failed.rows).toEqual([])

      // Every update applied exactly once: one dialog.clientWrote per client message, no step twice.
      const wrote = await db.query<{ peer: string; message: string; n: string }>(`
        select event->>'peerId' as peer, event->>'messageId' as message, count(*) as n
        from journal where type = 'dialog.clientWrote' group by 1, 2`)
      expect(wrote.rows).toHaveLength(total)
      expect(wrote.rows.filter((row) => row.n !== "1")).toEqual([])
      expect(new Set(wrote.rows.map((row) => `${row.peer}/${row.message}`))).toEqual(new Set(texts.keys()))
      const twice = await db.query(
        "select cause, actor_key, ordinal from journal group by 1, 2, 3 having count(*) > 1"
      )
      expect(twice.rows).toEqual([])

      // One topic per client (each named after its client), plus any a kill made Telegram create again.
      const names = world.topics(group).map((topic) => topic.name)
      expect(new Set(names).size).toBe(clientCount)
      const extraTopics = names.length - clientCount

      // Every message at least once in its client's topic (the one its dialog claimed).
      const owners = await db.query<{ thread_id: string; actor_key: string }>(
        "select thread_id, actor_key from topic_owner where chat_id = $1",
        [group]
      )
      const topicOf = new Map(
        owners.rows.map((row) => [Number(row.actor_key.split(":").at(-1)), row.thread_id])
      )
      let delivered = 0
      for (const [i, client] of clients.entries()) {
        const thread = Number(topicOf.get(client.id))
        const seen = new Set(world.messages(group, owner.id, thread).map((message) => message.text))
        for (let n = 1; n <= messagesPerClient; n++) if (seen.has(`client ${i} message ${n}`)) delivered += 1
      }
      expect(delivered).toBe(total)

      // Duplicates: a message copied more than once. Each must come from a call in flight at a kill.
      const duplicates = [...copies.values()].reduce((sum, n) => sum + n - 1, 0)
      const inFlight = windows.reduce((sum, window) => sum + window.copies, 0)
      const topicsInFlight = windows.reduce((sum, window) => sum + window.topics, 0)
      console.log(
        `crash: ${total} messages from ${clientCount} clients, ${kills} SIGKILLs at ` +
          `${windows.map((window) => `${(window.at / 1000).toFixed(1)}s`).join(", ")}; ` +
          `${inbox.rows[0]?.n} updates done, each applied once; ${delivered}/${total} messages in their client's topic; ` +
          `${duplicates} extra copies (messages of calls in flight at the kills: ` +
          `${windows.map((window) => window.copies).join("+")} = ${inFlight}; calls: ` +
          `${windows.map((window) => window.calls).join("+")}, at most ${telegramLimits.inFlightWithoutLimits} per kill); ` +
          `${world.topics(group).length} topics for ${clientCount} clients (${extraTopics} created again; ` +
          `in flight at the kills: ${topicsInFlight}); ${((Date.now() - started) / 1000).toFixed(1)} s`
      )
      expect(duplicates).toBeLessThanOrEqual(inFlight)
      expect(extraTopics).toBeLessThanOrEqual(topicsInFlight)
    } finally {
      stopWatching()
      await db.end().catch(() => undefined)
      const exit = await backline.stop("SIGINT")
      expect(exit).toEqual({ code: 0, signal: null })
    }
  }, 120_000)
})
