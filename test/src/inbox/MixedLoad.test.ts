// The helpdesk inbox under mixed load, end to end: `backline start` as a child process (the product
// as deployed, its own event loop) against a sandbox in this process, which shows the test every
// message as it is stored. Clients write to the bot, operators answer in the topics, topics are
// deleted by hand and Telegram answers 429 now and then; the assertions are on what the team sees
// in the topics and what each client sees in its chat with the bot, never on Backline's tables.
import { describe, expect, it } from "vitest"
import { helpdeskWorld, sleep, startHelpdesk } from "../../support/Helpdesk.ts"
import { useSandbox } from "../../support/HelpdeskFixture.ts"

const clientCount = 500
const messagesPerClient = 10 // the dialog mutes a client after 20 within a minute
/** The pace clients write at, all together. */
const messagesPerSecond = 300
/** An operator answers a client once its message 4 is in the topic, and twice once message 8 is. */
const answersAfter = new Map([
  [4, 1],
  [8, 2]
])
/**
 * The topics deleted by hand, in the middle of the run, each a client's whose earlier messages and
 * answers have all arrived:
 * - `one`: the client writes one message, and the next only once that one is in a topic;
 * - `burst`: the client writes its next three messages at once, all relayed to the deleted topic
 *   before Backline learns it is gone;
 * - `answered`: an operator answers in the topic and it is deleted right away, before Backline
 *   has copied the answer; then the client writes as after `one`.
 */
const deletionKinds = ["one", "burst", "answered", "one", "burst", "one", "answered", "burst"] as const
type DeletionKind = (typeof deletionKinds)[number]

/** A small seeded generator (mulberry32), so a run can be repeated from the seed it prints. */
const generator = (seed: number) => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** What the test knows of one client: what it wrote, and what Telegram users saw of it so far. */
interface Client {
  readonly index: number
  readonly id: number
  /** Messages written so far (message `n` is `client <index> message <n>`). */
  sent: number
  /** The topics each message was copied into, by message number, as the sandbox stored the copies. */
  readonly copies: Map<number, Array<number>>
  /** The topic the latest copy went to. */
  topic: number | undefined
  /** The client writes on only once this many of its messages are in a topic. */
  waitsFor: number
  /** Answers due but not yet written (their topic was deleted meanwhile). */
  readonly queued: Array<string>
  /** Answers written in the client's topic, in order. */
  readonly answered: Array<string>
  /** Answers the client received, as the sandbox stored them. */
  readonly received: Array<string>
  /** Why a message may be missing, for the report: which deletion it followed. */
  readonly notes: Map<number, string>
}

describe("the inbox under mixed load", () => {
  // The sandbox runs in this process, so the test sees every message as the sandbox stores it.
  const env = useSandbox()

  it("500 clients × 10 messages with answers, deleted topics and 429s: every message once, in order, on both sides", async () => {
    const started = Date.now()
    const seed = Number(process.env["MIXED_LOAD_SEED"] ?? Math.floor(Math.random() * 2 ** 32))
    const random = generator(seed)
    const pick = <A>(items: ReadonlyArray<A>): A => items[Math.floor(random() * items.length)]!
    const world = env.sandbox.world
    const { owner, operators, bot, group } = helpdeskWorld(world, {
      bot: "helpdesk_bot",
      title: "Helpdesk",
      operators: ["Olga", "Omar", "Oksana"]
    })
    const clients: Array<Client> = Array.from({ length: clientCount }, (_, index) => ({
      index,
      id: world.createUser({ first_name: "Client", last_name: String(index) }).id,
      sent: 0,
      copies: new Map(),
      topic: undefined,
      waitsFor: 0,
      queued: [],
      answered: [],
      received: [],
      notes: new Map()
    }))
    const byId = new Map(clients.map((client) => [client.id, client]))
    const forum = world.world.chats.get(group)!
    const isDeleted = (thread: number) => forum.topics.get(thread)?.deleted === true
    const deleted = new Set<number>()

    const control = async (path: string, body: unknown) => {
      const response = await fetch(`${env.sandbox.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body)
      })
      expect(response.status, await response.clone().text()).toBe(200)
    }

    const write = (client: Client, upTo: number) => {
      if (client.copies.size < client.waitsFor) return
      for (; client.sent < Math.min(upTo, messagesPerClient); client.sent++)
        world.sendMessage({
          from: client.id,
          chat_id: bot.user.id,
          text: `client ${client.index} message ${client.sent + 1}`
        })
    }
    const answer = (client: Client, text: string) => {
      world.sendMessage({ from: pick(operators).id, chat_id: group, message_thread_id: client.topic!, text })
      client.answered.push(text)
    }
    const flushAnswers = (client: Client) => {
      if (client.topic === undefined || isDeleted(client.topic)) return
      for (const text of client.queued.splice(0)) answer(client, text)
    }

    // What Telegram users see, as the sandbox stores it: the team the copies in the topics, each
    // client the answers in its chat with the bot.
    let lastStoredAt = Date.now()
    const stopWatching = world.world.onStored((chat, message) => {
      lastStoredAt = Date.now()
      if (message.from !== bot.user.id) return
      if (chat.id === group && message.threadId !== undefined) {
        const match = /^client (\d+) message (\d+)$/.exec(message.text ?? "")
        if (match === null) return
        const client = clients[Number(match[1])]!
        const n = Number(match[2])
        client.copies.set(n, [...(client.copies.get(n) ?? []), message.threadId])
        client.topic = message.threadId
        for (let k = 0; k < (answersAfter.get(n) ?? 0); k++)
          client.queued.push(`answer ${client.index}.${client.answered.length + client.queued.length + 1}`)
        // Operators answer once the copy is on their screen, not while the sandbox is storing it.
        setImmediate(() => flushAnswers(client))
      } else if (chat.peers?.bot === bot.user.id && message.text?.startsWith("answer ") === true)
        byId.get(chat.peers.user)?.received.push(message.text)
    })

    /** A client with a live topic, everything it wrote copied, every answer received, messages left to write. */
    const settled = (client: Client) =>
      client.topic !== undefined &&
      !isDeleted(client.topic) &&
      client.sent >= 2 &&
      client.sent <= messagesPerClient - 3 &&
      client.copies.size === client.sent &&
      client.queued.length === 0 &&
      client.received.length === client.answered.length
    const deleteTopic = async (kind: DeletionKind) => {
      const candidates = clients.filter(
        (client) => settled(client) && ![...client.copies.values()].flat().some((t) => deleted.has(t))
      )
      if (candidates.length === 0) return false
      const client = pick(candidates)
      const thread = client.topic!
      if (kind === "answered") answer(client, `answer ${client.index}.${client.answered.length + 1}`)
      await control(`/chats/${group}/topics/${thread}/delete`, { from: owner.id })
      deleted.add(thread)
      const next = client.sent + (kind === "burst" ? 3 : 1)
      for (let n = client.sent + 1; n <= next; n++)
        client.notes.set(n, `written after its topic ${thread} was deleted (${kind})`)
      write(client, next)
      if (kind !== "burst") client.waitsFor = next
      return true
    }

    // 429s, each pausing the call's lane for retry_after (Telegram seconds, real seconds here).
    let injected = 0
    const inject = async (method: string, chatId: number, count: number) => {
      await control("/faults", { method, chat_id: chatId, error_code: 429, retry_after: 1, count })
      injected += count
    }
    const someClients = (count: number) => Array.from({ length: count }, () => pick(clients))
    const faultRounds = [
      // Topics being created, the welcome of a few clients.
      async () => {
        await inject("createForumTopic", group, 2)
        for (const client of new Set(someClients(3))) await inject("sendMessage", client.id, 1)
      },
      // Copies into topics, retitles, answers on their way to clients still to be answered.
      async () => {
        await inject("copyMessage", group, 3)
        await inject("editForumTopic", group, 2)
        const early = clients.filter((client) => client.sent < 3)
        const unanswered = early.length > 0 ? early : clients
        for (const client of new Set(Array.from({ length: 4 }, () => pick(unanswered))))
          await inject("copyMessage", client.id, 1)
      },
      async () => {
        await inject("copyMessage", group, 3)
        await inject("createForumTopic", group, 1)
      }
    ]

    // Each client's messages in bursts of 1–3, spread over the run in its order.
    const runMs = ((clientCount * messagesPerClient) / messagesPerSecond) * 1000
    const bursts: Array<{ readonly at: number; readonly client: Client; readonly upTo: number }> = []
    for (const client of clients) {
      const ends: Array<number> = []
      for (let n = 0; n < messagesPerClient;)
        ends.push((n = Math.min(messagesPerClient, n + 1 + Math.floor(random() * 3))))
      ends.forEach((upTo, j) => bursts.push({ at: ((j + random()) / ends.length) * runMs, client, upTo }))
    }
    bursts.sort((a, b) => a.at - b.at)
    const deletionsAt = deletionKinds.map((kind, k) => ({
      at: runMs * (0.15 + (0.7 * (k + random())) / deletionKinds.length),
      kind
    }))
    const faultsAt = faultRounds.map((round, k) => ({ at: (runMs * k) / faultRounds.length, round }))

    const backline = startHelpdesk({
      databaseUrl: env.database.url,
      apiRoot: env.sandbox.apiRoot,
      token: bot.token,
      group
    })
    let deletions = 0
    const timing = { writingMs: 0 }
    try {
      await backline.running()
      const t0 = Date.now()
      for (let next = 0; ; await sleep(5)) {
        const now = Date.now() - t0
        while (faultsAt.length > 0 && faultsAt[0]!.at <= now) await faultsAt.shift()!.round()
        for (; next < bursts.length && bursts[next]!.at <= now; next++)
          write(bursts[next]!.client, bursts[next]!.upTo)
        if (
          deletionsAt.length > 0 &&
          deletionsAt[0]!.at <= now &&
          (await deleteTopic(deletionsAt[0]!.kind))
        ) {
          deletionsAt.shift()
          deletions += 1
        }
        if (next < bursts.length) continue
        // The rest of what clients held back while waiting for a message to arrive.
        for (const client of clients) write(client, messagesPerClient)
        const idle = Date.now() - lastStoredAt > 5_000
        if (
          idle ||
          (deletionsAt.length === 0 && clients.every((client) => client.sent === messagesPerClient))
        )
          break
      }
      timing.writingMs = Date.now() - t0

      // Until everything due has arrived, or nothing has happened for a while.
      const complete = () =>
        clients.every(
          (client) =>
            client.copies.size === messagesPerClient &&
            client.queued.length === 0 &&
            client.received.length === client.answered.length
        )
      while (!complete() && Date.now() - lastStoredAt < 5_000) {
        for (const client of clients) flushAnswers(client)
        await sleep(50)
      }
    } finally {
      stopWatching()
      const exit = await backline.stop("SIGINT")
      expect(exit).toEqual({ code: 0, signal: null })
      expect(backline.stderr).toBe("")
    }

    // What each side sees at the end, against what was written.
    const problems: Array<string> = []
    const topics = world.topics(group)
    const messages = clientCount * messagesPerClient
    let goneWithTopics = 0
    for (const client of clients) {
      const name = `Client ${client.index}`
      const own = topics.filter((topic) => topic.name.replace(/^\S+ /, "") === name)
      if (own.length !== 1)
        problems.push(`${name}: ${own.length} topics (${own.map((t) => t.message_thread_id).join(", ")})`)
      // A copy in a topic deleted afterwards went with that topic, as everything in it did: the
      // message is in the client's topic once if it was copied again, and nowhere if it was not.
      const expected: Array<string> = []
      for (let n = 1; n <= messagesPerClient; n++) {
        const copies = client.copies.get(n) ?? []
        const live = copies.filter((thread) => !deleted.has(thread))
        if (live.length > 1 || copies.length - live.length > 1)
          problems.push(`${name}: message ${n} copied ${copies.length} times (${copies.join(", ")})`)
        if (copies.length === 0)
          problems.push(`${name}: message ${n}, ${client.notes.get(n) ?? "written"}, never reached a topic`)
        if (copies.length > 0 && live.length === 0) goneWithTopics += 1
        else expected.push(`client ${client.index} message ${n}`)
      }
      // The client's topic: the one its latest message went to (any other is one too many, above).
      const current = own.find((topic) => topic.message_thread_id === client.topic)?.message_thread_id
      if (current === undefined) {
        problems.push(`${name}: its latest message is in no topic`)
        continue
      }
      const seen = world.messages(group, owner.id, current).filter((m) => m.forum_topic_created === undefined)
      const relayed = seen.flatMap((m) =>
        m.from?.id === bot.user.id && m.text?.startsWith("client ") === true ? [m.text] : []
      )
      const missing = expected.filter((text) => !relayed.includes(text)).map((text) => text.split(" ")[3])
      if (missing.length > 0) problems.push(`${name}: messages ${missing.join(", ")} are not in its topic`)
      else if (relayed.join("|") !== expected.join("|"))
        problems.push(`${name}: its topic shows ${relayed.map((text) => text.split(" ")[3]).join(", ")}`)
      // The topic opens with the client card, and a new one also with a note about the deleted one.
      const recreated = [...client.copies.values()].flat().some((thread) => deleted.has(thread))
      if (!new RegExp(`^👤 ${name}\\n`).test(seen[0]?.text ?? ""))
        problems.push(`${name}: the topic does not start with the client card`)
      else if (recreated && !/previous topic of this dialog was deleted/.test(seen[0]?.text ?? ""))
        problems.push(`${name}: the new topic has no note about the deleted one`)
      // The client's chat: every answer once, in the order written.
      const chat = world
        .messages(bot.user.id, client.id)
        .flatMap((m) =>
          m.from?.id === bot.user.id && m.text?.startsWith("answer ") === true ? [m.text] : []
        )
      for (const text of client.answered.filter((text) => !chat.includes(text)))
        problems.push(`${name}: ${text} never reached the client`)
      const delivered = client.answered.filter((text) => chat.includes(text))
      if (chat.join("|") !== delivered.join("|"))
        problems.push(`${name}: answers out of order or extra: ${chat.join(", ")}`)
    }
    const answers = clients.reduce((sum, client) => sum + client.answered.length, 0)
    const served = injected - world.faults.size
    console.log(
      `mixed load: ${messages} messages from ${clientCount} clients in ${(timing.writingMs / 1000).toFixed(1)} s, ` +
        `${answers} answers, ${deletions} topics deleted (${deletionKinds.join(", ")}; ${goneWithTopics} ` +
        `messages went with them), ${served}/${injected} 429s injected and served, ${topics.length} topics; ` +
        `${problems.length} problems; seed ${seed}; ${((Date.now() - started) / 1000).toFixed(1)} s`
    )
    for (const problem of problems) console.log(`  ${problem}`)
    expect(problems).toEqual([])
    expect(deletions).toBe(deletionKinds.length)
    expect(served).toBe(injected)
    expect(topics).toHaveLength(clientCount)
  }, 120_000)
})
