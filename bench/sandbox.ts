// grammY round trips through the sandbox: a user writes to the bot through the control API, the
// real grammY `Bot` gets the message by long polling, answers with sendMessage, and the answer is
// observed. Run sequentially (one chat) and with concurrency (many chats, one runner), with limits
// off, in rounds alternating with the baseline; the best round of each side counts. The baseline is a bare node:http echo server answering the same HTTP calls (one control
// POST, one getUpdates, one sendMessage per round trip) through the same clients (node:http for
// the control API, grammY's own client for the Bot API), so the ratio is the sandbox's own cost.
import {
  createServer,
  Agent as HttpAgent,
  request,
  type IncomingMessage,
  type ServerResponse
} from "node:http"
import type { AddressInfo } from "node:net"
import { performance } from "node:perf_hooks"
import { run } from "@grammyjs/runner"
import { Api, Bot } from "grammy"
import type { User } from "grammy/types"
import { startSandbox } from "../src/sandbox/Server.ts"

const phaseMs = Number(process.env["BENCH_PHASE_MS"] ?? 1200)
const roundCount = 3
const chats = 50
const warmUpMs = 1000

const percentile = (sorted: ReadonlyArray<number>, p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN

const round = (value: number, digits = 0): number => Number(value.toFixed(digits))

/** Runs `trip` in `lanes` parallel loops for `ms`; answers trips per second and sorted latencies. */
const measure = async (lanes: number, ms: number, trip: (lane: number) => Promise<void>) => {
  const latencies: Array<number> = []
  const cpu = process.cpuUsage()
  const start = performance.now()
  const deadline = start + ms
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      while (performance.now() < deadline) {
        const t0 = performance.now()
        await trip(lane)
        latencies.push(performance.now() - t0)
      }
    })
  )
  const seconds = (performance.now() - start) / 1000
  const used = process.cpuUsage(cpu)
  return {
    perSecond: latencies.length / seconds,
    cpuMicrosPerTrip: (used.user + used.system) / latencies.length,
    latencies: latencies.sort((a, b) => a - b)
  }
}

// The control API client: node:http on a keep-alive agent, as grammY's own client uses underneath
// (undici's fetch costs more per call than the sandbox does, and would hide its figures).
const agent = new HttpAgent({ keepAlive: true })
const post = (url: string, body: unknown): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const text = JSON.stringify(body)
    const req = request(
      url,
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(text) }
      },
      (res) => {
        const chunks: Array<Buffer> = []
        res.on("data", (chunk: Buffer) => chunks.push(chunk))
        res.on("end", () => {
          const answer: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"))
          if (res.statusCode === 200) resolve(answer)
          else reject(new Error(`${url}: ${res.statusCode} ${JSON.stringify(answer)}`))
        })
        res.on("error", reject)
      }
    )
    req.on("error", reject)
    req.end(text)
  })

/** The sandbox side: one bot, `chats` users who started it, and a trip per user. */
const sandboxSide = async () => {
  const sandbox = await startSandbox({ limits: { enabled: false } })
  const { user: botUser, token } = sandbox.world.createBot({ username: "bench_bot" })
  const users: Array<User> = Array.from({ length: chats }, (_, i) =>
    sandbox.world.createUser({ first_name: `User ${i}` })
  )
  for (const user of users) sandbox.world.sendMessage({ from: user.id, chat_id: botUser.id, text: "/start" })

  const waiting = new Map<number, () => void>()
  const counts = { botCalls: 0 }
  const makeBot = () => {
    const bot = new Bot(token, { client: { apiRoot: sandbox.apiRoot } })
    bot.api.config.use((prev, method, payload, signal) => {
      counts.botCalls += 1
      return prev(method, payload, signal)
    })
    bot.on("message:text", async (ctx) => {
      const sent = await ctx.reply(`echo: ${ctx.msg.text}`)
      if (sent.text !== `echo: ${ctx.msg.text}`) throw new Error(`unexpected reply ${sent.text}`)
      waiting.get(ctx.chat.id)?.()
    })
    return bot
  }
  const trip = async (lane: number) => {
    const user = users[lane]!
    const observed = new Promise<void>((resolve) => waiting.set(user.id, resolve))
    await post(`${sandbox.url}/messages`, { from: user.id, chat_id: botUser.id, text: "ping" })
    await observed
  }
  /** What a user sees: every ping answered in its chat. */
  const check = (lane: number) => {
    const seen = sandbox.world.messages(botUser.id, users[lane]!.id)
    const answered = seen.filter((m) => m.from?.id === botUser.id).length
    const asked = seen.filter((m) => m.from?.id !== botUser.id && m.text === "ping").length
    if (answered !== asked) throw new Error(`user ${lane} sent ${asked} pings and saw ${answered} answers`)
  }
  return { sandbox, makeBot, trip, check, counts }
}

/** The baseline side: the same three HTTP calls per round trip against a server that only echoes. */
const baselineSide = async () => {
  const server = createServer(
    { keepAlive: true, noDelay: true },
    (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Array<Buffer> = []
      req.on("data", (chunk: Buffer) => chunks.push(chunk))
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8")
        const text = `{"ok":true,"result":${body === "" ? "[]" : body}}`
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
        res.end(text)
      })
    }
  )
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const api = new Api("1:bench", { apiRoot: root })
  const trip = async () => {
    await post(`${root}/sandbox/v1/messages`, { from: 1, chat_id: 2, text: "ping" })
    await api.getUpdates({ offset: 1, timeout: 0 })
    await api.sendMessage(1, "echo: ping")
  }
  const close = async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
  return { trip, close }
}

type Phase = Awaited<ReturnType<typeof measure>>
const best = (phases: ReadonlyArray<Phase>): Phase =>
  phases.reduce((a, b) => (b.perSecond > a.perSecond ? b : a))

// Sandbox and baseline phases alternate and the best round of each counts: other processes on the
// machine slow whichever phase they overlap, and alternating gives both sides the same chances.
const side = await sandboxSide()
const baselineServer = await baselineSide()
const rounds = { sandbox: [] as Array<Phase>, baseline: [] as Array<Phase> }
const concurrentRounds = { sandbox: [] as Array<Phase>, baseline: [] as Array<Phase> }

const sequentialBot = side.makeBot()
await sequentialBot.init()
const polling = sequentialBot.start({ timeout: 30, drop_pending_updates: true })
await measure(1, warmUpMs, () => side.trip(0)) // warm-up: let the JIT settle
await measure(1, warmUpMs, () => baselineServer.trip())
side.counts.botCalls = 0
for (let i = 0; i < roundCount; i++) {
  rounds.sandbox.push(await measure(1, phaseMs, () => side.trip(0)))
  rounds.baseline.push(await measure(1, phaseMs, () => baselineServer.trip()))
}
const sandboxTrips = rounds.sandbox.reduce((sum, phase) => sum + phase.latencies.length, 0)
const callsPerTrip = (side.counts.botCalls + sandboxTrips) / sandboxTrips
await sequentialBot.stop()
await polling

const runner = run(side.makeBot(), { runner: { fetch: { timeout: 30 } } })
await measure(chats, 300, (lane) => side.trip(lane))
for (let i = 0; i < roundCount; i++) {
  concurrentRounds.sandbox.push(await measure(chats, phaseMs, (lane) => side.trip(lane)))
  concurrentRounds.baseline.push(await measure(chats, phaseMs, () => baselineServer.trip()))
}
await runner.stop()
for (let lane = 0; lane < chats; lane++) side.check(lane)
await side.sandbox.close()
await baselineServer.close()

const sequential = best(rounds.sandbox)
const concurrent = best(concurrentRounds.sandbox)
const baseline = { sequential: best(rounds.baseline), concurrent: best(concurrentRounds.baseline) }

const figures = {
  bench: "sandbox",
  round_trips_per_s: round(sequential.perSecond),
  concurrent_round_trips_per_s: round(concurrent.perSecond),
  p50_ms: round(percentile(sequential.latencies, 50), 3),
  p99_ms: round(percentile(sequential.latencies, 99), 3),
  concurrent_p50_ms: round(percentile(concurrent.latencies, 50), 3),
  concurrent_p99_ms: round(percentile(concurrent.latencies, 99), 3),
  cpu_us_per_round_trip: round(sequential.cpuMicrosPerTrip),
  http_calls_per_round_trip: round(callsPerTrip, 2),
  baseline_per_s: round(baseline.sequential.perSecond),
  baseline_concurrent_per_s: round(baseline.concurrent.perSecond),
  baseline_cpu_us_per_round_trip: round(baseline.sequential.cpuMicrosPerTrip),
  ratio: round(sequential.perSecond / baseline.sequential.perSecond, 3),
  concurrent_ratio: round(concurrent.perSecond / baseline.concurrent.perSecond, 3)
}
const line = (label: string, value: string) => console.log(`${label.padEnd(50)}${value}`)
line(`sandbox, sequential (1 chat, best of ${roundCount})`, `${figures.round_trips_per_s} round trips/s`)
line("  latency p50 / p99", `${figures.p50_ms} / ${figures.p99_ms} ms`)
line("  CPU per round trip (whole process)", `${figures.cpu_us_per_round_trip} µs`)
line(
  "  HTTP calls per round trip",
  `${figures.http_calls_per_round_trip} (control POST, getUpdates, sendMessage)`
)
line(`sandbox, concurrent (${chats} chats, runner)`, `${figures.concurrent_round_trips_per_s} round trips/s`)
line("  latency p50 / p99", `${figures.concurrent_p50_ms} / ${figures.concurrent_p99_ms} ms`)
line("baseline, node:http echo, sequential", `${figures.baseline_per_s} round trips/s`)
line("  CPU per round trip (whole process)", `${figures.baseline_cpu_us_per_round_trip} µs`)
line(`baseline, node:http echo, ${chats} lanes`, `${figures.baseline_concurrent_per_s} round trips/s`)
line("ratio sandbox / baseline, sequential", `${figures.ratio}`)
line("ratio sandbox / baseline, concurrent", `${figures.concurrent_ratio}`)
console.log(JSON.stringify(figures))
