import { SqlClient } from "@effect/sql"
import {
  Cause,
  Context,
  Duration,
  Effect,
  Exit,
  Layer,
  Metric,
  Option,
  Queue,
  Schedule,
  Stream
} from "effect"
import { decodeUpdate } from "../domain/Events.ts"
import { ConnectionId } from "../domain/Ids.ts"
import { ActorHost, type Delivery } from "./ActorHost.ts"
import { mailChannel, Mailbox, type MailRow } from "./Mailbox.ts"
import {
  connectionsChannel,
  linkRoute,
  loadInboxes,
  loadRouteContext,
  needsLink,
  routeOf,
  type RouteContext,
  type Target
} from "./Routes.ts"
import { stepAnnotations, type DeliveryFailure, type StepOutcome } from "./Step.ts"
import { taggedCounters } from "../http/TaggedCounter.ts"
import { Notifications } from "../sql/Notifications.ts"
import { ChatAdmins } from "../telegram/ChatAdmins.ts"
import { InboxFeed, inboxKey, type InboxItem } from "../telegram/InboxFeed.ts"
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

/** Mail rows this process has settled, by `result` (delivered, dead), for `/metrics`. */
export const mailTotal = Metric.counter("backline_mail_total", {
  description: "Actor mail (timers, Bot API results, commands) applied by the Router, by result",
  incremental: true
})

/** Adds `count` to a counter by its `result`. */
const countsOf = (counter: Metric.Metric.Counter<number>) => {
  const tagged = taggedCounters(counter, "result")
  return (result: string, count = 1): Effect.Effect<void> =>
    count === 0 ? Effect.void : Metric.incrementBy(tagged(result), count)
}
const routed = countsOf(routedTotal)
const mailed = countsOf(mailTotal)

/** An inbox row on its way: the actors its events go to, in order. */
interface Routing {
  readonly item: InboxItem
  readonly cause: string
  readonly targets: ReadonlyArray<Target>
}

/** What a failed delivery failed with: the actor's refusal, or `undefined` for a defect (the database). */
const refusalOf = (exit: Exit.Exit<unknown, DeliveryFailure>): DeliveryFailure | undefined =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined

/**
 * Feeds pending inbox rows and actor mail to their actors, oldest first: rows of one actor in
 * order, different actors at once. New inbox rows come in memory from the Gateway (`InboxFeed`);
 * rows of an earlier run, or stored while no Router read the feed, are read from the table at
 * start, on an `inbox` notification and every `pollInterval`. The step that applies a row marks
 * it done; a row without an actor is marked done directly; a row an actor cannot take (unknown
 * kind, snapshot version, a machine failure) is marked `dead` and copied to `dead_letter` (source
 * `actor`; mail: source `mail`). A row whose step could not be committed stays pending and is
 * read again.
 */
export class Router extends Effect.Service<Router>()("app/Router", {
  scoped: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const notifications = yield* Notifications
    const host = yield* ActorHost
    const messageMap = yield* MessageMap
    const chatAdmins = yield* ChatAdmins
    const mailbox = yield* Mailbox
    const feed = yield* InboxFeed
    const config = yield* RouterConfig
    const wakeMail = yield* Queue.sliding<void>(1)
    yield* feed.attach

    // The connections' inboxes, kept until the `connection` table changes (its trigger notifies),
    // and read again at least every `pollInterval` in case a notification was lost.
    let inboxes: RouteContext["inboxes"] | undefined
    let generation = 0
    const forgetInboxes = Effect.sync(() => {
      inboxes = undefined
      generation += 1
    })
    const currentInboxes = Effect.suspend(() => {
      if (inboxes !== undefined) return Effect.succeed(inboxes)
      const asked = generation
      return Effect.tap(loadInboxes.pipe(Effect.provideService(SqlClient.SqlClient, sql)), (loaded) => {
        if (generation === asked) inboxes = loaded
      })
    })

    const markDone = (items: ReadonlyArray<InboxItem>) =>
      items.length === 0
        ? Effect.void
        : sql`
            update inbox set status = 'done', done_at = now()
            where connection_id in ${sql.in([...new Set(items.map((item) => item.connection))])}
              and update_id in ${sql.in(items.map((item) => item.updateId))}
              and connection_id || '/' || update_id in ${sql.in(items.map(inboxKey))}
              and status = 'pending'`.pipe(Effect.asVoid, Effect.orDie)

    const bury = ({ item, cause }: Routing, key: string, failed: DeliveryFailure) =>
      Effect.gen(function* () {
        yield* Effect.logWarning(`router: ${cause} dead-lettered: ${failed.message}`).pipe(
          Effect.annotateLogs(stepAnnotations(key, cause))
        )
        yield* Effect.gen(function* () {
          yield* sql`
            insert into dead_letter (source, ref, reason, payload)
            values ('actor', ${cause}, ${failed.message}, ${JSON.stringify(item.payload)}::jsonb)`
          yield* sql`
            update inbox set status = 'dead', done_at = now()
            where connection_id = ${item.connection} and update_id = ${item.updateId} and status = 'pending'`
        }).pipe(sql.withTransaction, Effect.orDie)
        yield* routed("dead")
      })

    /** The actors a row's events go to, linked to the other side of their dialog where needed. */
    const targetsOf = (item: InboxItem, context: RouteContext): Effect.Effect<ReadonlyArray<Target>> => {
      const found = item.events.flatMap((event) => {
        const route = routeOf(event, context)
        return route === undefined ? [] : [route]
      })
      if (!found.some(needsLink)) return Effect.succeed(found)
      return Effect.forEach(found, (route) =>
        needsLink(route)
          ? linkRoute(route, context).pipe(
              Effect.provideService(MessageMap, messageMap),
              Effect.provideService(ChatAdmins, chatAdmins)
            )
          : Effect.succeed(route)
      )
    }

    /** The deliveries of each row's `i`-th event: the last with the row's cause, earlier ones with `#i`. */
    const deliveriesOf = (rows: ReadonlyArray<Routing>, i: number) =>
      rows.map(({ cause, targets }): Delivery => ({
        key: targets[i]![0],
        event: targets[i]![1],
        cause: i === targets.length - 1 ? cause : `${cause}#${i}`
      }))

    /**
     * Delivers each row's events to their actors, event after event; the first round's outcomes
     * come from `first` when the caller already submitted it. The last event's step marks the row
     * done. A row stops at its first failure: dead-lettered if its actor refused it, left pending
     * if the step could not be committed (logged; the row is read again from the table).
     */
    const deliverRows = (
      rows: ReadonlyArray<Routing>,
      first?: Effect.Effect<ReadonlyArray<Exit.Exit<StepOutcome, DeliveryFailure>>>
    ) =>
      Effect.gen(function* () {
        let going = rows
        for (let i = 0; going.length > 0; i++) {
          const deliveries = deliveriesOf(going, i)
          const exits = i === 0 && first !== undefined ? yield* first : yield* host.deliverAll(deliveries)
          const next: Array<Routing> = []
          let delivered = 0
          for (const [n, routing] of going.entries()) {
            const exit = exits[n]!
            if (Exit.isSuccess(exit)) {
              if (i + 1 < routing.targets.length) next.push(routing)
              else delivered += 1
              continue
            }
            const refusal = refusalOf(exit)
            if (refusal !== undefined) yield* bury(routing, deliveries[n]!.key, refusal)
            else
              yield* Effect.logError(
                `router: ${routing.cause} could not be applied; it stays pending`,
                exit.cause
              ).pipe(Effect.annotateLogs(stepAnnotations(deliveries[n]!.key, deliveries[n]!.cause)))
          }
          yield* routed("delivered", delivered)
          going = next
        }
      })

    // Batches whose steps are being committed while the next is routed: up to `pipeline` at once.
    const pipeline = 2
    const delivering = yield* Effect.makeSemaphore(pipeline)
    /** Waits until no batch is being delivered any more. */
    const settled = delivering.withPermits(pipeline)(Effect.void)

    /**
     * Routes rows in hand and delivers them, then lets them go. A batch is handed to the actors'
     * mailboxes in order and its commits are waited for in the background, so the next batch is
     * routed meanwhile, unless it has to wait: a batch with events in forum topics is routed once
     * the batches before it are committed (they may claim those topics), and one whose rows each
     * have several events is delivered event after event.
     */
    const process = (items: ReadonlyArray<InboxItem>) =>
      Effect.gen(function* () {
        if (items.length === 0) return
        const events = items.flatMap((item) => item.events)
        if (events.some((event) => "threadId" in event && event.threadId !== undefined)) yield* settled
        const context = yield* loadRouteContext(events, yield* currentInboxes).pipe(
          Effect.provideService(SqlClient.SqlClient, sql)
        )
        const routings: Array<Routing> = []
        const unrouted: Array<InboxItem> = []
        for (const item of items) {
          const targets = yield* targetsOf(item, context)
          if (targets.length === 0) unrouted.push(item)
          else routings.push({ item, cause: `inbox:${inboxKey(item)}`, targets })
        }
        yield* markDone(unrouted)
        yield* routed("no_actor", unrouted.length)
        if (routings.some((routing) => routing.targets.length > 1)) {
          yield* settled
          return yield* deliverRows(routings)
        }
        yield* delivering.take(1)
        const first = yield* host.submitAll(deliveriesOf(routings, 0))
        yield* deliverRows(routings, first).pipe(
          Effect.catchAllCause((cause) => Effect.logError("Router: delivering inbox rows failed", cause)),
          Effect.ensuring(
            Effect.zipRight(
              Effect.sync(() => feed.release(items.map(inboxKey))),
              delivering.release(1)
            )
          ),
          Effect.forkScoped
        )
        return "handed off" as const
      }).pipe(
        Effect.catchAllCause((cause) => Effect.logError("Router: routing inbox rows failed", cause)),
        Effect.flatMap((outcome) =>
          outcome === "handed off" ? Effect.void : Effect.sync(() => feed.release(items.map(inboxKey)))
        )
      )

    /**
     * Reads pending rows not in hand from the table, oldest first, and processes them; answers
     * whether it read a full batch of rows to take (there may be more).
     */
    const readTable = Effect.gen(function* () {
      const pending = yield* sql<{ connection_id: string; update_id: string }>`
        select connection_id, update_id from inbox where status = 'pending'
        order by received_at, connection_id, update_id limit ${config.batch}`.pipe(Effect.orDie)
      const claimed = new Set(feed.claim(pending.map((row) => `${row.connection_id}/${row.update_id}`)))
      if (claimed.size === 0) return false
      const rows = yield* sql<{ connection_id: string; update_id: string; payload: unknown }>`
        select connection_id, update_id, payload from inbox
        where connection_id || '/' || update_id in ${sql.in([...claimed])} and status = 'pending'
        order by received_at, connection_id, update_id`.pipe(
        Effect.orDie,
        Effect.tapErrorCause(() => Effect.sync(() => feed.release(claimed)))
      )
      const items = rows.map((row): InboxItem => {
        const connection = ConnectionId.make(row.connection_id)
        const decoded = decodeUpdate(connection, row.payload)
        return {
          connection,
          updateId: Number(row.update_id),
          payload: row.payload,
          events: decoded._tag === "Right" ? decoded.right : []
        }
      })
      // Claimed rows settled meanwhile (no longer pending) are let go too.
      for (const item of items) claimed.delete(inboxKey(item))
      feed.release(claimed)
      yield* process(items)
      return pending.length === config.batch && items.length === pending.length
    })

    const applyMail = (rows: ReadonlyArray<MailRow>) =>
      Effect.gen(function* () {
        const exits = yield* host.deliverAll(
          rows.map((row) => ({
            key: row.actorKey,
            event: row.event,
            cause: `mail:${row.id}`,
            timer: row.timer
          }))
        )
        let delivered = 0
        for (const [n, row] of rows.entries()) {
          const exit = exits[n]!
          if (Exit.isSuccess(exit)) {
            delivered += 1
            continue
          }
          const cause = `mail:${row.id}`
          const refusal = refusalOf(exit)
          if (refusal === undefined) {
            yield* Effect.logError(
              `router: ${cause} (${row.source}) could not be applied; it stays pending`,
              exit.cause
            )
            continue
          }
          yield* Effect.logWarning(`router: ${cause} (${row.source}) dead-lettered: ${refusal.message}`).pipe(
            Effect.zipRight(mailbox.bury(row, refusal.message)),
            Effect.zipRight(mailed("dead")),
            Effect.annotateLogs(stepAnnotations(row.actorKey, cause))
          )
        }
        yield* mailed("delivered", delivered)
      })

    const drainMail = Effect.gen(function* () {
      const rows = yield* mailbox.pending(config.batch)
      yield* applyMail(rows)
      return rows.length
    })

    yield* notifications.listen("inbox").pipe(
      Stream.runForEach(() => Effect.sync(feed.poke)),
      Effect.retry(Schedule.spaced(config.pollInterval)),
      Effect.forkScoped
    )
    yield* notifications.listen(mailChannel).pipe(
      Stream.runForEach(() => Queue.offer(wakeMail, undefined)),
      Effect.retry(Schedule.spaced(config.pollInterval)),
      Effect.forkScoped
    )
    yield* notifications.listen(connectionsChannel).pipe(
      Stream.runForEach(() => forgetInboxes),
      Effect.retry(Schedule.spaced(config.pollInterval)),
      Effect.forkScoped
    )
    yield* Effect.all([Effect.sync(feed.poke), Queue.offer(wakeMail, undefined), forgetInboxes]).pipe(
      Effect.repeat(Schedule.spaced(config.pollInterval)),
      Effect.forkScoped
    )
    // One loop for the inbox, so rows stored earlier (read from the table) go before later ones.
    yield* feed.take.pipe(
      Effect.flatMap(({ items, scan }) =>
        Effect.zipRight(
          scan ? readTable.pipe(Effect.repeat({ while: (full) => full })) : Effect.void,
          process(items)
        )
      ),
      Effect.catchAllCause((cause) => Effect.logError("Router: draining the inbox failed", cause)),
      Effect.forever,
      Effect.forkScoped
    )
    yield* Queue.take(wakeMail).pipe(
      Effect.zipRight(drainMail.pipe(Effect.repeat({ while: (count) => count === config.batch }))),
      Effect.catchAllCause((cause) => Effect.logError("Router: draining the actor mail failed", cause)),
      Effect.forever,
      Effect.forkScoped
    )
    return {} as const
  }),
  dependencies: [
    ActorHost.Default,
    InboxFeed.Default,
    Mailbox.Default,
    Notifications.Default,
    MessageMap.Default,
    ChatAdmins.Default
  ]
}) {}

/**
 * The Router with its own parts; it shares the process' ActorHost, InboxFeed and Notifications,
 * which the caller provides (one of each per process).
 */
export const RouterLive = Router.DefaultWithoutDependencies.pipe(
  Layer.provide(Layer.mergeAll(Mailbox.Default, MessageMap.Default, ChatAdmins.Default))
)
