import { SqlClient } from "@effect/sql"
import { Context, Duration, Effect, Either, Layer, Metric, Queue, Schedule, Stream } from "effect"
import { decodeUpdate, type DomainEvent } from "../domain/Events.ts"
import { ConnectionId } from "../domain/Ids.ts"
import { ActorHost } from "./ActorHost.ts"
import { mailChannel, Mailbox, type MailRow } from "./Mailbox.ts"
import { linkRoute, loadRouteContext, routeOf } from "./Routes.ts"
import { stepAnnotations } from "./Step.ts"
import { taggedIncrements } from "../http/TaggedCounter.ts"
import { Notifications } from "../sql/Notifications.ts"
import { ChatAdmins } from "../telegram/ChatAdmins.ts"
import { MessageMap } from "../telegram/MessageMap.ts"

/** The Router's settings. */
export class RouterConfig extends Context.Reference<RouterConfig>()("app/RouterConfig", {
  defaultValue: () => ({ pollInterval: Duration.seconds(1), batch: 500 })
}) {}

/** Inbox rows this process has settled, by `result` (delivered, no_actor, dead), for `/metrics`. */
export const routedTotal = Metric.counter("backline_router_updates_total", {
  description: "Inbox updates processed by the Router, by result",
  incremental: true
})

const routed: (result: "delivered" | "no_actor" | "dead") => Effect.Effect<void> = taggedIncrements(
  routedTotal,
  "result"
)

/** Mail rows this process has settled, by `result` (delivered, dead), for `/metrics`. */
export const mailTotal = Metric.counter("backline_mail_total", {
  description: "Actor mail (timers, Bot API results, commands) applied by the Router, by result",
  incremental: true
})

const mailed: (result: "delivered" | "dead") => Effect.Effect<void> = taggedIncrements(mailTotal, "result")

/** Runs each lane's effects in order, the lanes at once. */
const runLanes = (lanes: Map<string, Array<Effect.Effect<void>>>) =>
  Effect.forEach(lanes.values(), (steps) => Effect.all(steps, { discard: true }), {
    concurrency: "unbounded",
    discard: true
  })

const addTo = <A>(lanes: Map<string, Array<A>>, lane: string, item: A) => {
  const found = lanes.get(lane)
  if (found === undefined) lanes.set(lane, [item])
  else found.push(item)
}

interface Row {
  readonly connection_id: string
  readonly update_id: string
  readonly payload: unknown
}

/**
 * Feeds pending inbox rows and actor mail to their actors, oldest first: rows of one actor in
 * order, different actors at once. The step that applies a row marks it done; a row without an actor is marked
 * done directly; a row an actor cannot take (unknown kind, snapshot version, a machine failure)
 * is marked `dead` and copied to `dead_letter` (source `actor`; mail: source `mail`).
 */
export class Router extends Effect.Service<Router>()("app/Router", {
  scoped: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const notifications = yield* Notifications
    const host = yield* ActorHost
    const messageMap = yield* MessageMap
    const chatAdmins = yield* ChatAdmins
    const mailbox = yield* Mailbox
    const config = yield* RouterConfig
    const wake = yield* Queue.sliding<void>(1)
    const wakeMail = yield* Queue.sliding<void>(1)

    const settle = (row: Row, status: "done" | "dead") =>
      sql`
        update inbox set status = ${status}, done_at = now()
        where connection_id = ${row.connection_id} and update_id = ${row.update_id} and status = 'pending'`.pipe(
        Effect.asVoid,
        Effect.orDie
      )

    const route = Effect.fnUntraced(function* (
      row: Row,
      targets: ReadonlyArray<readonly [string, DomainEvent]>
    ) {
      const cause = `inbox:${row.connection_id}/${row.update_id}`
      if (targets.length === 0) return yield* settle(row, "done").pipe(Effect.zipRight(routed("no_actor")))
      // The last event carries the plain cause, whose step marks the row done; earlier ones get `#i`.
      for (const [i, [key, event]] of targets.entries()) {
        const failed = yield* host
          .deliver(key, event, i === targets.length - 1 ? cause : `${cause}#${i}`)
          .pipe(
            Effect.as(undefined),
            Effect.catchAll((error) => Effect.succeed(error))
          )
        if (failed === undefined) continue
        yield* Effect.logWarning(`router: ${cause} dead-lettered: ${failed.message}`).pipe(
          Effect.annotateLogs(stepAnnotations(key, cause))
        )
        yield* sql`
          insert into dead_letter (source, ref, reason, payload)
          values ('actor', ${cause}, ${failed.message}, ${JSON.stringify(row.payload)}::jsonb)`.pipe(
          Effect.orDie
        )
        yield* routed("dead")
        return yield* settle(row, "dead")
      }
      yield* routed("delivered")
    })

    const drain = Effect.gen(function* () {
      const rows = yield* sql<Row>`
        select connection_id, update_id, payload from inbox where status = 'pending'
        order by received_at, connection_id, update_id limit ${config.batch}`.pipe(Effect.orDie)
      const decoded = rows.map(
        (row) =>
          [
            row,
            Either.getOrElse(decodeUpdate(ConnectionId.make(row.connection_id), row.payload), () => [])
          ] as const
      )
      const context = yield* loadRouteContext(decoded.flatMap(([, events]) => events)).pipe(
        Effect.provideService(SqlClient.SqlClient, sql)
      )
      const routed = yield* Effect.forEach(
        decoded,
        ([row, events]) =>
          Effect.map(
            Effect.forEach(
              events.flatMap((event) => {
                const found = routeOf(event, context)
                return found === undefined ? [] : [found]
              }),
              (found) =>
                linkRoute(found, context).pipe(
                  Effect.provideService(MessageMap, messageMap),
                  Effect.provideService(ChatAdmins, chatAdmins)
                )
            ),
            (targets) => [row, targets] as const
          ),
        { concurrency: 8 }
      )
      const lanes = new Map<string, Array<Effect.Effect<void>>>()
      for (const [row, targets] of routed)
        addTo(lanes, targets[0]?.[0] ?? `none:${row.connection_id}/${row.update_id}`, route(row, targets))
      yield* runLanes(lanes)
      return rows.length
    })

    const applyMail = (row: MailRow) => {
      const cause = `mail:${row.id}`
      return host.deliver(row.actorKey, row.event, cause, row.timer).pipe(
        Effect.zipRight(mailed("delivered")),
        Effect.catchAll((failed) =>
          Effect.logWarning(`router: ${cause} (${row.source}) dead-lettered: ${failed.message}`).pipe(
            Effect.zipRight(mailbox.bury(row, failed.message)),
            Effect.zipRight(mailed("dead")),
            Effect.annotateLogs(stepAnnotations(row.actorKey, cause))
          )
        )
      )
    }

    const drainMail = Effect.gen(function* () {
      const rows = yield* mailbox.pending(config.batch)
      const lanes = new Map<string, Array<Effect.Effect<void>>>()
      for (const row of rows) addTo(lanes, row.actorKey, applyMail(row))
      yield* runLanes(lanes)
      return rows.length
    })

    yield* notifications.listen("inbox").pipe(
      Stream.runForEach(() => Queue.offer(wake, undefined)),
      Effect.retry(Schedule.spaced(config.pollInterval)),
      Effect.forkScoped
    )
    yield* notifications.listen(mailChannel).pipe(
      Stream.runForEach(() => Queue.offer(wakeMail, undefined)),
      Effect.retry(Schedule.spaced(config.pollInterval)),
      Effect.forkScoped
    )
    yield* Effect.all([Queue.offer(wake, undefined), Queue.offer(wakeMail, undefined)]).pipe(
      Effect.repeat(Schedule.spaced(config.pollInterval)),
      Effect.forkScoped
    )
    const loop = (signal: Queue.Queue<void>, pass: Effect.Effect<number>, what: string) =>
      Queue.take(signal).pipe(
        Effect.zipRight(pass.pipe(Effect.repeat({ while: (count) => count === config.batch }))),
        Effect.catchAllCause((cause) => Effect.logError(`Router: draining the ${what} failed`, cause)),
        Effect.forever,
        Effect.forkScoped
      )
    yield* loop(wake, drain, "inbox")
    yield* loop(wakeMail, drainMail, "actor mail")
    return {} as const
  }),
  dependencies: [
    ActorHost.Default,
    Mailbox.Default,
    Notifications.Default,
    MessageMap.Default,
    ChatAdmins.Default
  ]
}) {}

/**
 * The Router with its own parts; it shares the process' ActorHost and Notifications, which the
 * caller provides (one of each per process).
 */
export const RouterLive = Router.DefaultWithoutDependencies.pipe(
  Layer.provide(Layer.mergeAll(Mailbox.Default, MessageMap.Default, ChatAdmins.Default))
)
