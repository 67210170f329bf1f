// Memory per actor, through the real ActorHost and StepCommitter on real PostgreSQL. Phase 1: one
// event to each of 100,000 dialog-sized actors, then passivation: what stays in memory once all are
// passivated (it should be next to nothing). Phase 2: 10,000 actors kept active: what each costs.
// The baseline holds the same 10,000 contexts as plain objects in a Map, so the ratio is the price
// of a live actor over the data it holds. Each phase runs in a fresh node process with
// --expose-gc, since RSS only means something in a process of its own; heap and RSS are read
// after forced GCs before and after the phase, with the code paths already warm.
import { fork } from "node:child_process"
import { performance } from "node:perf_hooks"
import { fileURLToPath } from "node:url"
import { PgClient } from "@effect/sql-pg"
import { Duration, Effect, Layer, Redacted, Schedule } from "effect"
import { assertEvent, assign, setup } from "xstate"
import { ActorHost } from "../src/actors/ActorHost.ts"
import { ActorHostConfig } from "../src/actors/Step.ts"
import { MigrationState, runMigrations } from "../src/sql/Migrations.ts"
import { describeDatabaseUrl } from "../src/sql/Sql.ts"
import { createDatabase } from "../test/support/Databases.ts"
import { startAdminServer } from "../test/support/globalSetup.ts"
import { sleep } from "../test/support/Helpdesk.ts"

const passivatedCount = Number(process.env["BENCH_ACTORS_PASSIVATED"] ?? 100_000)
const activeCount = Number(process.env["BENCH_ACTORS_ACTIVE"] ?? 10_000)
const warmUpCount = 1_000
const concurrency = 256

/** What a client dialog holds: the client, its topic, and where the conversation stands. */
interface DialogContext {
  readonly connection: string
  readonly peerId: number
  readonly firstName: string
  readonly lastName: string | null
  readonly username: string | null
  readonly languageCode: string | null
  readonly isPremium: boolean
  readonly startParam: string | null
  readonly threadId: number | null
  readonly status: "new" | "open" | "closed"
  readonly lastClientMessageId: number | null
  readonly lastClientMessageAt: number | null
  readonly lastTeamMessageId: number | null
  readonly lastTeamMessageAt: number | null
  readonly clientMessages: number
  readonly teamMessages: number
  readonly unanswered: number
}

type MessageReceived = {
  readonly type: "message.received"
  readonly messageId: number
  readonly date: number
  readonly from: {
    readonly firstName: string
    readonly lastName: string | null
    readonly username: string | null
    readonly languageCode: string | null
    readonly isPremium: boolean
  }
  readonly startParam: string | null
  readonly threadId: number
}
type TeamAnswered = { readonly type: "team.answered"; readonly messageId: number; readonly date: number }
type DialogEvent = MessageReceived | TeamAnswered

/** The context of a new dialog: `dialog:<connection>:<peer id>`, e.g. `dialog:bot:1:42`. */
const dialogContext = (key: string): DialogContext => {
  const peer = key.lastIndexOf(":")
  return {
    connection: key.slice("dialog:".length, peer),
    peerId: Number(key.slice(peer + 1)),
    firstName: "",
    lastName: null,
    username: null,
    languageCode: null,
    isPremium: false,
    startParam: null,
    threadId: null,
    status: "new",
    lastClientMessageId: null,
    lastClientMessageAt: null,
    lastTeamMessageId: null,
    lastTeamMessageAt: null,
    clientMessages: 0,
    teamMessages: 0,
    unanswered: 0
  }
}

const received = (context: DialogContext, event: MessageReceived): DialogContext => ({
  ...context,
  ...event.from,
  startParam: context.startParam ?? event.startParam,
  threadId: event.threadId,
  status: "open",
  lastClientMessageId: event.messageId,
  lastClientMessageAt: event.date,
  clientMessages: context.clientMessages + 1,
  unanswered: context.unanswered + 1
})

const answered = (context: DialogContext, event: TeamAnswered): DialogContext => ({
  ...context,
  lastTeamMessageId: event.messageId,
  lastTeamMessageAt: event.date,
  teamMessages: context.teamMessages + 1,
  unanswered: 0
})

const types = {} as { context: DialogContext; events: DialogEvent; input: { readonly key: string } }

// A stand-in for the dialog actor, sized like it; switch to `machines.dialog` once it exists.
const dialogMachine = setup({
  types,
  actions: {
    receive: assign(
      ({ context, event }) => (assertEvent(event, "message.received"), received(context, event))
    ),
    answer: assign(({ context, event }) => (assertEvent(event, "team.answered"), answered(context, event)))
  }
}).createMachine({
  id: "dialog",
  context: ({ input }) => dialogContext(input.key),
  initial: "idle",
  states: {
    idle: { on: { "message.received": { target: "awaitingTeam", actions: "receive" } } },
    awaitingTeam: {
      on: {
        "message.received": { actions: "receive" },
        "team.answered": { target: "answered", actions: "answer" }
      }
    },
    answered: {
      on: {
        "message.received": { target: "awaitingTeam", actions: "receive" },
        "team.answered": { actions: "answer" }
      }
    }
  }
})

/** A client's first message: every string its own, as when decoded from an update. */
const firstMessage = (peer: number): MessageReceived => ({
  type: "message.received",
  messageId: 1,
  date: 1_780_000_000 + peer,
  from: {
    firstName: `Client ${peer}`,
    lastName: `Surname ${peer}`,
    username: `client_${peer}`,
    languageCode: ["en", "de", "es", "ru"][peer % 4]!,
    isPremium: peer % 10 === 0
  },
  startParam: `campaign_${peer % 50}`,
  threadId: 10_000 + peer
})

interface Memory {
  readonly heap: number
  readonly rss: number
}

interface PhaseResult {
  readonly actors: number
  readonly before: Memory
  readonly after: Memory
  readonly seconds: number
  readonly peakLive: number
}

type Phase = "passivated" | "active" | "baseline"
const phases: ReadonlyArray<Phase> = ["passivated", "active", "baseline"]
const phaseVariable = "BACKLINE_BENCH_ACTORS_PHASE"
const urlVariable = "BACKLINE_BENCH_ACTORS_DATABASE_URL"

/** Heap and RSS after full collections (a few, with pauses, so finalizers and timers settle). */
const settledMemory = async (): Promise<Memory> => {
  if (globalThis.gc === undefined) throw new Error("the phases run with --expose-gc")
  for (let i = 0; i < 4; i++) {
    globalThis.gc()
    await sleep(50)
  }
  const usage = process.memoryUsage()
  return { heap: usage.heapUsed, rss: usage.rss }
}

const progress = (text: string) => process.stderr.write(`actors: ${text}\n`)

// Each phase is its own ActorHost with the default group commit (maxBatch 64, committers 2):
// raising maxBatch to 256 did not change the rate on two cores, so the bench keeps the defaults.
const hostLayer = (url: string, passivateAfter: Duration.DurationInput) =>
  ActorHost.Default.pipe(
    Layer.provide(
      Layer.succeed(ActorHostConfig, {
        ...ActorHostConfig.defaultValue(),
        registry: { dialog: { machine: dialogMachine, version: 1 } },
        passivateAfter
      })
    ),
    Layer.provide(PgClient.layer({ url: Redacted.make(url) }))
  )

/** Delivers each peer's first message to `dialog:<connection>:<peer>`, `concurrency` at a time. */
const deliverAll = (
  connection: string,
  count: number,
  onDone: (done: number) => Effect.Effect<void> = () => Effect.void
) =>
  Effect.gen(function* () {
    const host = yield* ActorHost
    let done = 0
    yield* Effect.forEach(
      Array.from({ length: count }, (_, peer) => peer),
      (peer) =>
        host
          .deliver(`dialog:${connection}:${peer}`, firstMessage(peer), `bench:${connection}/${peer}`)
          .pipe(Effect.flatMap(() => onDone(++done))),
      { concurrency, discard: true }
    )
  })

const untilPassivated = Effect.flatMap(ActorHost, (host) =>
  host.liveCount.pipe(Effect.repeat({ schedule: Schedule.spaced("100 millis"), until: (live) => live === 0 }))
)

const passivatedPhase = (url: string) =>
  Effect.gen(function* () {
    const host = yield* ActorHost
    yield* deliverAll("bot:9", warmUpCount)
    yield* untilPassivated
    const before = yield* Effect.promise(settledMemory)
    const start = performance.now()
    let peakLive = 0
    yield* deliverAll("bot:1", passivatedCount, (done) =>
      done % 1_000 === 0 || done === passivatedCount
        ? Effect.map(host.liveCount, (live) => {
            peakLive = Math.max(peakLive, live)
            if (done % 10_000 === 0 || done === passivatedCount)
              progress(
                `${done} delivered, ${live} in memory, ${((performance.now() - start) / 1000).toFixed(1)} s`
              )
          })
        : Effect.void
    )
    const seconds = (performance.now() - start) / 1000
    yield* untilPassivated
    const after = yield* Effect.promise(settledMemory)
    return { actors: passivatedCount, before, after, seconds, peakLive } satisfies PhaseResult
  }).pipe(Effect.provide(hostLayer(url, Duration.seconds(1))))

const activePhase = (url: string) =>
  Effect.gen(function* () {
    const host = yield* ActorHost
    yield* deliverAll("bot:9", warmUpCount)
    const before = yield* Effect.promise(settledMemory)
    const start = performance.now()
    yield* deliverAll("bot:2", activeCount)
    const seconds = (performance.now() - start) / 1000
    const after = yield* Effect.promise(settledMemory)
    const live = yield* host.liveCount
    if (live !== warmUpCount + activeCount) throw new Error(`${live} actors in memory, not all kept active`)
    return { actors: activeCount, before, after, seconds, peakLive: live } satisfies PhaseResult
  }).pipe(Effect.provide(hostLayer(url, Duration.hours(1))))

const baselinePhase = async (): Promise<PhaseResult> => {
  const warm = new Map<string, DialogContext>()
  for (let peer = 0; peer < warmUpCount; peer++)
    warm.set(`dialog:bot:9:${peer}`, received(dialogContext(`dialog:bot:9:${peer}`), firstMessage(peer)))
  const before = await settledMemory()
  const start = performance.now()
  const contexts = new Map<string, DialogContext>()
  for (let peer = 0; peer < activeCount; peer++) {
    const key = `dialog:bot:2:${peer}`
    contexts.set(key, received(dialogContext(key), firstMessage(peer)))
  }
  const seconds = (performance.now() - start) / 1000
  const after = await settledMemory()
  if (contexts.size + warm.size !== activeCount + warmUpCount) throw new Error("contexts lost")
  return { actors: activeCount, before, after, seconds, peakLive: contexts.size }
}

/** Runs one phase in a fresh node process (this file, with --expose-gc) and answers its result. */
const runPhase = (phase: Phase, url: string) =>
  new Promise<PhaseResult>((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [], {
      execArgv: [...process.execArgv, "--expose-gc"],
      env: { ...process.env, [phaseVariable]: phase, [urlVariable]: url },
      stdio: ["ignore", "inherit", "inherit", "ipc"]
    })
    let result: PhaseResult | undefined
    child.on("message", (message) => (result = message as PhaseResult))
    child.once("error", reject)
    child.once("exit", (code) =>
      result !== undefined && code === 0
        ? resolve(result)
        : reject(new Error(`the ${phase} phase exited with ${code} and no result`))
    )
  })

const round = (value: number, digits = 0): number => Number(value.toFixed(digits))
const perActor = (result: PhaseResult, field: keyof Memory) =>
  (result.after[field] - result.before[field]) / result.actors

const main = async () => {
  const server = await startAdminServer("backline-bench-pg-")
  try {
    const database = await createDatabase(server.url, "backline_bench_")
    try {
      progress(`database ${describeDatabaseUrl(Redacted.make(database.url))}`)
      await Effect.runPromise(
        runMigrations().pipe(
          Effect.provide(
            Layer.merge(MigrationState.Default, PgClient.layer({ url: Redacted.make(database.url) }))
          )
        )
      )
      const results: Partial<Record<Phase, PhaseResult>> = {}
      for (const phase of phases) {
        progress(`phase ${phase}`)
        results[phase] = await runPhase(phase, database.url)
      }
      report(results as Record<Phase, PhaseResult>)
    } finally {
      await database.drop()
    }
  } finally {
    await server.stop()
  }
}

const report = ({ passivated, active, baseline }: Record<Phase, PhaseResult>) => {
  const figures = {
    bench: "actors",
    passivated: passivated.actors,
    passivated_heap_bytes_per_actor: round(perActor(passivated, "heap"), 1),
    passivated_rss_bytes_per_actor: round(perActor(passivated, "rss"), 1),
    passivated_steps_per_s: round(passivated.actors / passivated.seconds),
    passivated_peak_in_memory: passivated.peakLive,
    active: active.actors,
    active_heap_bytes_per_actor: round(perActor(active, "heap")),
    active_rss_bytes_per_actor: round(perActor(active, "rss")),
    baseline_bytes_per_context: round(perActor(baseline, "heap")),
    baseline_rss_bytes_per_context: round(perActor(baseline, "rss")),
    ratio: round(perActor(active, "heap") / perActor(baseline, "heap"), 2)
  }
  const line = (label: string, value: string) => console.log(`${label.padEnd(56)}${value}`)
  line(
    `phase 1: ${passivated.actors} actors, one event each, passivated`,
    `${figures.passivated_steps_per_s} steps/s (peak ${passivated.peakLive} in memory)`
  )
  line(
    "  heap / RSS left per passivated actor",
    `${figures.passivated_heap_bytes_per_actor} / ${figures.passivated_rss_bytes_per_actor} B`
  )
  console.log(`phase 2: ${active.actors} actors, one event each, kept active`)
  line(
    "  heap / RSS per active actor",
    `${figures.active_heap_bytes_per_actor} / ${figures.active_rss_bytes_per_actor} B`
  )
  console.log(`baseline: ${baseline.actors} contexts as plain objects in a Map`)
  line(
    "  heap / RSS per context",
    `${figures.baseline_bytes_per_context} / ${figures.baseline_rss_bytes_per_context} B`
  )
  line("ratio active actor / plain context (heap)", `${figures.ratio}`)
  console.log(JSON.stringify(figures))
}

const phase = process.env[phaseVariable]
if (phase === undefined) await main()
else if (!phases.includes(phase as Phase)) throw new Error(`${phaseVariable}: no phase "${phase}"`)
else {
  const url = process.env[urlVariable] ?? ""
  const result =
    phase === "passivated"
      ? await Effect.runPromise(passivatedPhase(url))
      : phase === "active"
        ? await Effect.runPromise(activePhase(url))
        : await baselinePhase()
  process.send?.(result, () => process.disconnect())
}
