// The client relay end to end: clients write to the bot in the sandbox (its limits off), Backline
// relays each message into the client's topic (Gateway → inbox → Router → dialog actor → journal
// and outbox → Sender → copyMessage), and the copy is seen as the sandbox stores it
// (`World.onStored`). Latency runs from the send to that moment. Each client's first message opens
// its topic (not measured); then the clients write the rest of their messages, a fixed number on
// their way at any moment, so the figures are what the relay sustains at that load.
//
// Backline runs as `backline start` in a child process, with TELEGRAM_RATE_LIMITS=off: that is
// the shipped composition as it is deployed, and Backline gets an event loop of its own instead
// of sharing one with the sandbox and the clients, whose work would be charged to it otherwise.
// The baseline, the same relay as a plain grammY bot keeping its topics in a Map (not durable),
// runs in a child process too (this file again), against the same sandbox with the same load.
import { fork } from "node:child_process"
import * as fs from "node:fs"
import { performance } from "node:perf_hooks"
import { fileURLToPath } from "node:url"
import { run, sequentialize } from "@grammyjs/runner"
import { Bot } from "grammy"
import type { User } from "grammy/types"
import { startSandbox, type RunningSandbox } from "../src/sandbox/Server.ts"
import { BacklineProcess } from "../test/support/Backline.ts"
import { createDatabase } from "../test/support/Databases.ts"
import { startAdminServer } from "../test/support/globalSetup.ts"
import { startHelpdesk } from "../test/support/Helpdesk.ts"

const clientCount = Number(process.env["BENCH_RUNTIME_CLIENTS"] ?? 500)
// At most 20: a dialog mutes a client who writes more than 20 messages within a minute.
const messagesPerClient = Math.min(20, Number(process.env["BENCH_RUNTIME_MESSAGES"] ?? 20))
const window = Number(process.env["BENCH_RUNTIME_WINDOW"] ?? 200)
const baselineVariable = "BENCH_RUNTIME_BASELINE"

const progress = (line: string) => process.stderr.write(`runtime: ${line}\n`)
const percentile = (sorted: ReadonlyArray<number>, p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN
const round = (value: number, digits = 0): number => Number(value.toFixed(digits))

/** CPU time (user + system) a process has used, in ms, from /proc on Linux; `NaN` elsewhere. */
const cpuMillisOf = (pid: number | undefined): number => {
  try {
    // Fields 14 and 15 after the command name, in clock ticks (100 per second on Linux).
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return NaN
  }
}

/** What the baseline child needs to know: its bot, the sandbox, the backend group. */
interface BaselineSetup {
  readonly token: string
  readonly apiRoot: string
  readonly groupId: number
}

/**
 * The baseline: on a client's private message, create the client's topic on first contact (kept
 * in a Map) and copy the message into it. Updates of one chat are handled in order, chats at once,
 * as a grammY bot serving many clients does with the runner.
 */
const baselineBot = async (setup: BaselineSetup) => {
  const bot = new Bot(setup.token, { client: { apiRoot: setup.apiRoot } })
  const topics = new Map<number, Promise<number>>()
  bot.use(sequentialize((ctx) => String(ctx.chat?.id)))
  bot.chatType("private").on("message", async (ctx) => {
    let topic = topics.get(ctx.chat.id)
    if (topic === undefined) {
      const name = [ctx.from.first_name, ctx.from.last_name].filter(Boolean).join(" ").slice(0, 128)
      topic = ctx.api.createForumTopic(setup.groupId, name).then((created) => created.message_thread_id)
      topics.set(ctx.chat.id, topic)
    }
    await ctx.api.copyMessage(setup.groupId, ctx.chat.id, ctx.msg.message_id, {
      message_thread_id: await topic
    })
  })
  await bot.init()
  const runner = run(bot, { runner: { fetch: { timeout: 30 } } })
  process.send?.("ready")
  process.once("disconnect", () => void runner.stop().then(() => process.exit(0)))
}

/** A relay under test: started against the sandbox, stopped after its phase. */
interface Relay {
  readonly name: string
  /** The relay's process, whose CPU time the phase reads. */
  readonly pid: () => number | undefined
  readonly start: () => Promise<void>
  readonly stop: () => Promise<void>
}

const backlineRelay = (sandbox: RunningSandbox, token: string, groupId: number, databaseUrl: string) => {
  let backline: BacklineProcess | undefined
  return {
    name: "backline",
    pid: () => backline?.pid,
    start: async () => {
      backline = startHelpdesk({ databaseUrl, apiRoot: sandbox.apiRoot, token, group: groupId })
      await backline.running()
    },
    stop: async () => {
      const exit = await backline?.stop("SIGINT")
      if (exit?.code !== 0)
        throw new Error(`backline exited with ${JSON.stringify(exit)}: ${backline?.stderr}`)
    }
  } satisfies Relay
}

const grammyRelay = (setup: BaselineSetup): Relay => {
  let child: ReturnType<typeof fork> | undefined
  return {
    name: "baseline",
    pid: () => child?.pid,
    start: () =>
      new Promise<void>((resolve, reject) => {
        child = fork(fileURLToPath(import.meta.url), [], {
          env: { ...process.env, [baselineVariable]: JSON.stringify(setup) },
          stdio: ["ignore", "inherit", "inherit", "ipc"]
        })
        child.once("message", () => resolve())
        child.once("error", reject)
        child.once("exit", (code) => reject(new Error(`the baseline bot exited with ${code}`)))
      }),
    stop: async () => {
      const exited = new Promise((resolve) => child?.once("exit", resolve))
      child?.disconnect()
      await exited
    }
  }
}

interface Phase {
  readonly relayed: number
  readonly perSecond: number
  readonly latencies: ReadonlyArray<number>
  /** CPU time of the relay's process per relayed update. */
  readonly cpuMicrosPerUpdate: number
}

/**
 * Runs the load against a relay whose bot is `botId`. Every client writes once and its topic opens
 * (not measured); then clients write the rest of their messages, `window` messages on their way at
 * any moment, each from a client with none on its way. Checks that each message was copied once,
 * into its client's topic, in the client's order.
 */
const measure = async (
  sandbox: RunningSandbox,
  relay: Relay,
  botId: number,
  groupId: number,
  clients: ReadonlyArray<User>
): Promise<Phase> => {
  const sentAt = new Map<string, number>()
  const topicOf = new Map<number, number>()
  const lastSeen = new Map<number, number>()
  const copies = new Map<string, number>()
  const written = new Map<number, number>()
  const idle: Array<number> = []
  const latencies: Array<number> = []
  const problems: Array<string> = []
  let measuring = false
  let outstanding = 0
  let expected = clients.length
  let copied = 0
  let lastCopyAt = 0
  let done: () => void = () => {}

  const send = (client: number) => {
    const n = (written.get(client) ?? 0) + 1
    written.set(client, n)
    const text = `c${client}m${n}`
    outstanding += 1
    sentAt.set(text, performance.now())
    sandbox.world.sendMessage({ from: clients[client]!.id, chat_id: botId, text })
  }
  const refill = () => {
    while (measuring && outstanding < window && idle.length > 0) send(idle.shift()!)
  }

  const stopListening = sandbox.world.world.onStored((chat, message) => {
    if (chat.id !== groupId || message.from !== botId || message.threadId === undefined) return
    const match = /^c(\d+)m(\d+)$/.exec(message.text ?? "")
    if (match === null) return
    const [text, client, n] = [match[0], Number(match[1]), Number(match[2])]
    lastCopyAt = performance.now()
    copies.set(text, (copies.get(text) ?? 0) + 1)
    const topic = topicOf.get(client) ?? message.threadId
    topicOf.set(client, topic)
    if (topic !== message.threadId) problems.push(`${text} was copied into topic ${message.threadId}`)
    if ((lastSeen.get(client) ?? 0) >= n) problems.push(`${text} was copied out of order`)
    lastSeen.set(client, n)
    outstanding -= 1
    if (measuring) latencies.push(lastCopyAt - sentAt.get(text)!)
    if (n < messagesPerClient) idle.push(client)
    if (++copied === expected) done()
    // The next message leaves once the sandbox has finished storing (and delivering) this copy.
    else setImmediate(refill)
  })

  await relay.start()
  try {
    const opened = new Promise<void>((resolve) => (done = resolve))
    const t0 = performance.now()
    for (let client = 0; client < clients.length; client++) send(client)
    await opened
    progress(`${relay.name}: ${clients.length} topics open in ${Math.round(performance.now() - t0)} ms`)
    const finished = new Promise<void>((resolve) => (done = resolve))
    expected = clients.length * messagesPerClient
    const cpu = cpuMillisOf(relay.pid())
    const start = performance.now()
    measuring = true
    refill()
    await finished
    const cpuMillis = cpuMillisOf(relay.pid()) - cpu
    const seconds = (lastCopyAt - start) / 1000
    if (problems.length > 0) throw new Error(`${relay.name}: ${problems.slice(0, 5).join("; ")}`)
    const twice = [...copies.values()].filter((count) => count > 1).length
    if (twice > 0) throw new Error(`${relay.name}: ${twice} messages were copied more than once`)
    if (copies.size !== sentAt.size)
      throw new Error(`${relay.name}: ${sentAt.size} messages sent, ${copies.size} copied`)
    return {
      relayed: latencies.length,
      perSecond: latencies.length / seconds,
      cpuMicrosPerUpdate: (cpuMillis * 1000) / latencies.length,
      latencies: latencies.sort((a, b) => a - b)
    }
  } finally {
    stopListening()
    await relay.stop()
  }
}

const main = async () => {
  const server = await startAdminServer("backline-bench-pg-")
  const database = await createDatabase(server.url, "backline_bench_")
  const sandbox = await startSandbox({ limits: { enabled: false } })
  try {
    const world = sandbox.world
    const owner = world.createUser({ first_name: "Owner" })
    const durable = world.createBot({ username: "relay_bot" })
    const plain = world.createBot({ username: "plain_relay_bot" })
    const group = (title: string, bot: number) =>
      world.createChat({ type: "supergroup", title, is_forum: true, owner: owner.id, admins: [bot] }).id
    const durableGroup = group("Backline relay", durable.user.id)
    const plainGroup = group("grammY relay", plain.user.id)
    const clients = Array.from({ length: clientCount }, (_, i) =>
      world.createUser({ first_name: "Client", last_name: String(i) })
    )

    progress(
      `${clientCount} clients × ${messagesPerClient} messages, ${window} on their way at once, per relay`
    )
    const backline = await measure(
      sandbox,
      backlineRelay(sandbox, durable.token, durableGroup, database.url),
      durable.user.id,
      durableGroup,
      clients
    )
    const baseline = await measure(
      sandbox,
      grammyRelay({ token: plain.token, apiRoot: sandbox.apiRoot, groupId: plainGroup }),
      plain.user.id,
      plainGroup,
      clients
    )

    const figures = {
      bench: "runtime",
      updates_per_s: round(backline.perSecond),
      p50_ms: round(percentile(backline.latencies, 50), 2),
      p99_ms: round(percentile(backline.latencies, 99), 2),
      baseline_updates_per_s: round(baseline.perSecond),
      ratio: round(backline.perSecond / baseline.perSecond, 3)
    }
    const line = (label: string, value: string) => console.log(`${label.padEnd(52)}${value}`)
    line(
      `backline start, ${clientCount} clients (${backline.relayed} relayed)`,
      `${figures.updates_per_s} updates/s`
    )
    line("  latency p50 / p99", `${figures.p50_ms} / ${figures.p99_ms} ms`)
    line("  CPU of its process per update", `${round(backline.cpuMicrosPerUpdate)} µs`)
    line(
      `baseline, grammY + Map (${baseline.relayed} relayed)`,
      `${figures.baseline_updates_per_s} updates/s`
    )
    line(
      "  latency p50 / p99",
      `${round(percentile(baseline.latencies, 50), 2)} / ${round(percentile(baseline.latencies, 99), 2)} ms`
    )
    line("  CPU of its process per update", `${round(baseline.cpuMicrosPerUpdate)} µs`)
    line("ratio backline / baseline", `${figures.ratio}`)
    console.log(JSON.stringify(figures))
  } finally {
    await sandbox.close()
    await database.drop()
    await server.stop()
  }
}

const baseline = process.env[baselineVariable]
if (baseline === undefined) await main()
else await baselineBot(JSON.parse(baseline) as BaselineSetup)
