// Client dialogs at scale: 10,000 clients each write to the bot in the sandbox (its limits off);
// Backline opens a topic for each on its first message (createForumTopic, the client card, the
// welcome, then the message) and copies every later one into it. Latency runs from the client's
// send to the moment the sandbox stores the copy in the topic (`World.onStored`); first messages
// (their topic is created on the way) and follow-ups are counted apart.
//
// The baseline is the plain relay path, measured in the same run and the same Backline process
// before the 10,000 dialogs: follow-up messages of 500 dialogs whose topics are already open,
// with the same number of messages on their way at once.
//
// Backline runs as `backline start` in a child process with TELEGRAM_RATE_LIMITS=off: the shipped
// composition, with an event loop of its own rather than one shared with the sandbox and the
// clients of this process.
import { performance } from "node:perf_hooks"
import type { User } from "grammy/types"
import { startSandbox, type RunningSandbox } from "../src/sandbox/Server.ts"
import { BacklineProcess } from "../test/support/Backline.ts"
import { createDatabase } from "../test/support/Databases.ts"
import { startAdminServer } from "../test/support/globalSetup.ts"
import { helpdeskWorld, startHelpdesk } from "../test/support/Helpdesk.ts"

const dialogCount = Number(process.env["BENCH_DIALOGS"] ?? 10_000)
/** Messages each of those clients writes after its first. */
const followUps = Number(process.env["BENCH_DIALOGS_FOLLOW_UPS"] ?? 2)
const baselineClients = Number(process.env["BENCH_DIALOGS_BASELINE_CLIENTS"] ?? 500)
// The dialog mutes a client who writes more than 20 messages within a minute.
const baselineMessages = Math.min(19, Number(process.env["BENCH_DIALOGS_BASELINE_MESSAGES"] ?? 10))
/** Messages on their way at any moment, each from a client with none other on its way. */
const window = Number(process.env["BENCH_DIALOGS_WINDOW"] ?? 200)
/** A phase that sees no copy for this long has lost messages. */
const stallMs = 60_000

const progress = (line: string) => process.stderr.write(`dialogs: ${line}\n`)
const percentile = (sorted: ReadonlyArray<number>, p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN
const round = (value: number, digits = 0): number => Number(value.toFixed(digits))
const sorted = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)

interface Phase {
  /** Messages copied into their topics. */
  readonly messages: number
  readonly seconds: number
  /** Latencies of first messages (the topic is created on the way), sorted. */
  readonly first: ReadonlyArray<number>
  /** Latencies of follow-up messages, sorted. */
  readonly followUps: ReadonlyArray<number>
}

/**
 * Runs one load: every client writes `1 + more` messages (`<tag><client>m<n>`), the first of each
 * only if `first`. A client writes its next message once the previous one is in its topic; with
 * `window` messages on their way, a client ready to write on goes before a client yet to start.
 * Checks that each message was copied once, into its client's topic, in the client's order.
 */
const runPhase = async (
  sandbox: RunningSandbox,
  botId: number,
  groupId: number,
  clients: ReadonlyArray<User>,
  options: { readonly tag: string; readonly first: boolean; readonly more: number }
): Promise<Phase> => {
  const pattern = new RegExp(`^${options.tag}(\\d+)m(\\d+)$`)
  const last = options.more + 1
  const sentAt = new Map<string, number>()
  const written = new Map<number, number>()
  const topicOf = new Map<number, number>()
  const first: Array<number> = []
  const more: Array<number> = []
  const problems: Array<string> = []
  const fresh = clients.map((_, index) => index).reverse()
  const ready: Array<number> = []
  const expected = clients.length * (last - (options.first ? 0 : 1))
  let outstanding = 0
  let copied = 0
  let lastCopyAt = performance.now()
  let done: () => void = () => {}
  const finished = new Promise<void>((resolve) => (done = resolve))

  const send = (client: number) => {
    const n = (written.get(client) ?? (options.first ? 0 : 1)) + 1
    written.set(client, n)
    const text = `${options.tag}${client}m${n}`
    outstanding += 1
    sentAt.set(text, performance.now())
    sandbox.world.sendMessage({ from: clients[client]!.id, chat_id: botId, text })
  }
  const refill = () => {
    while (outstanding < window && (ready.length > 0 || fresh.length > 0))
      send(ready.length > 0 ? ready.pop()! : fresh.pop()!)
  }

  const stopListening = sandbox.world.world.onStored((chat, message) => {
    if (chat.id !== groupId || message.from !== botId || message.threadId === undefined) return
    const match = pattern.exec(message.text ?? "")
    if (match === null) return
    const [text, client, n] = [match[0], Number(match[1]), Number(match[2])]
    const at = performance.now()
    const since = sentAt.get(text)
    if (since === undefined) problems.push(`${text} was copied more than once`)
    sentAt.delete(text)
    lastCopyAt = at
    const topic = topicOf.get(client) ?? message.threadId
    topicOf.set(client, topic)
    if (topic !== message.threadId) problems.push(`${text} was copied into topic ${message.threadId}`)
    if (n !== written.get(client)) problems.push(`${text} was copied out of order`)
    if (since !== undefined) (n === 1 ? first : more).push(at - since)
    outstanding -= 1
    if (n < last) ready.push(client)
    if (++copied === expected) done()
    // The next message leaves once the sandbox has finished storing (and delivering) this copy.
    else setImmediate(refill)
  })

  const start = performance.now()
  const stalled = setInterval(() => {
    if (performance.now() - lastCopyAt > stallMs) {
      problems.push(`no copy for ${stallMs / 1000} s, ${expected - copied} of ${expected} messages missing`)
      done()
    }
  }, 1_000)
  try {
    refill()
    await finished
  } finally {
    clearInterval(stalled)
    stopListening()
  }
  if (problems.length > 0) throw new Error(`${options.tag}: ${problems.slice(0, 5).join("; ")}`)
  return {
    messages: copied,
    seconds: (lastCopyAt - start) / 1000,
    first: sorted(first),
    followUps: sorted(more)
  }
}

const main = async () => {
  const server = await startAdminServer("backline-bench-pg-")
  const database = await createDatabase(server.url, "backline_bench_")
  const sandbox = await startSandbox({ limits: { enabled: false } })
  let backline: BacklineProcess | undefined
  try {
    const world = sandbox.world
    const { bot, group } = helpdeskWorld(world, { bot: "dialogs_bot", title: "Dialogs" })
    const people = (name: string, count: number) =>
      Array.from({ length: count }, (_, i) => world.createUser({ first_name: name, last_name: String(i) }))
    const open = people("Client", baselineClients)
    const clients = people("Customer", dialogCount)

    backline = startHelpdesk({ databaseUrl: database.url, apiRoot: sandbox.apiRoot, token: bot.token, group })
    await backline.running()
    const phase = (clients: ReadonlyArray<User>, options: Parameters<typeof runPhase>[4]) =>
      runPhase(sandbox, bot.user.id, group, clients, options)

    progress(
      `baseline: ${baselineClients} open dialogs × ${baselineMessages} follow-ups, ${window} on their way`
    )
    const opened = await phase(open, { tag: "b", first: true, more: 0 })
    progress(`baseline: ${baselineClients} topics open in ${round(opened.seconds, 1)} s`)
    const baseline = await phase(open, { tag: "b", first: false, more: baselineMessages })

    progress(
      `${dialogCount} dialogs: a first message and ${followUps} follow-ups each, ${window} on their way`
    )
    const dialogs = await phase(clients, { tag: "d", first: true, more: followUps })
    const topics = world.topics(group).length
    if (topics !== baselineClients + dialogCount)
      throw new Error(`${topics} topics for ${baselineClients + dialogCount} dialogs`)

    const figures = {
      bench: "dialogs",
      dialogs: dialogCount,
      first_p50_ms: round(percentile(dialogs.first, 50), 1),
      first_p99_ms: round(percentile(dialogs.first, 99), 1),
      p50_ms: round(percentile(dialogs.followUps, 50), 1),
      p99_ms: round(percentile(dialogs.followUps, 99), 1),
      messages_per_s: round(dialogs.messages / dialogs.seconds),
      baseline_messages_per_s: round(baseline.messages / baseline.seconds),
      ratio: 0
    }
    figures.ratio = round(figures.messages_per_s / figures.baseline_messages_per_s, 3)
    const line = (label: string, value: string) => console.log(`${label.padEnd(56)}${value}`)
    line(
      `${dialogCount} dialogs (${dialogs.messages} messages in ${round(dialogs.seconds, 1)} s)`,
      `${figures.messages_per_s} messages/s`
    )
    line("  first message, topic created: p50 / p99", `${figures.first_p50_ms} / ${figures.first_p99_ms} ms`)
    line("  follow-up message: p50 / p99", `${figures.p50_ms} / ${figures.p99_ms} ms`)
    line(
      `baseline, ${baselineClients} open dialogs (${baseline.messages} follow-ups)`,
      `${figures.baseline_messages_per_s} messages/s`
    )
    line(
      "  follow-up message: p50 / p99",
      `${round(percentile(baseline.followUps, 50), 1)} / ${round(percentile(baseline.followUps, 99), 1)} ms`
    )
    line("ratio dialogs / baseline", `${figures.ratio}`)
    console.log(JSON.stringify(figures))
  } finally {
    const exit = await backline?.stop("SIGINT")
    if (exit !== undefined && exit.code !== 0)
      progress(`backline exited with ${JSON.stringify(exit)}: ${backline?.stderr ?? ""}`)
    await sandbox.close()
    await database.drop()
    await server.stop()
  }
}

await main()
