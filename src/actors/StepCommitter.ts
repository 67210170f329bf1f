import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { groupWriter } from "../sql/GroupWriter.ts"
import { Outbox, outboxChannel } from "../telegram/Outbox.ts"
import { SnapshotStore } from "./SnapshotStore.ts"
import { ActorHostConfig, type Step } from "./Step.ts"
import { journalChannel, Timers } from "./Timers.ts"

/**
 * Commits actors' steps: each step's snapshot, journal rows, outbox rows, timer changes and inbox
 * or mail row in one transaction. Steps ready at the same time (of different keys) share a transaction: up to
 * `maxBatch` of them, with `committers` transactions running at once. Should a shared transaction
 * fail, its steps are committed again one by one, so one bad step fails alone.
 */
export class StepCommitter extends Effect.Service<StepCommitter>()("app/StepCommitter", {
  scoped: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const snapshots = yield* SnapshotStore
    const outbox = yield* Outbox
    const timers = yield* Timers
    const config = yield* ActorHostConfig

    const write = (steps: ReadonlyArray<Step>) =>
      Effect.gen(function* () {
        yield* snapshots.saveAll(steps)
        const journal = steps.flatMap((step) =>
          step.journal.map((event, ordinal) => ({
            actor_key: step.key,
            cause: step.cause,
            ordinal,
            type: event.type,
            event: JSON.stringify(event)
          }))
        )
        if (journal.length > 0) yield* sql`insert into journal ${sql.insert(journal)} on conflict do nothing`
        const sends = steps.flatMap((step) => step.outbox)
        yield* outbox.enqueue(sends, false)
        // The journal's readers and the Sender are woken at commit, by one statement.
        if (journal.length > 0 && sends.length > 0)
          yield* sql`select pg_notify(${journalChannel}, ${journal[0]!.actor_key}), pg_notify(${outboxChannel}, ${sends[0]!.connection})`
        else if (journal.length > 0) yield* sql`select pg_notify(${journalChannel}, ${journal[0]!.actor_key})`
        else if (sends.length > 0) yield* sql`select pg_notify(${outboxChannel}, ${sends[0]!.connection})`
        const inbox = steps.flatMap((step) => (step.inbox === undefined ? [] : [step.inbox]))
        if (inbox.length > 0)
          yield* sql`
            update inbox set status = 'done', done_at = now()
            where connection_id in ${sql.in(inbox.map((row) => row.connection))}
              and update_id in ${sql.in(inbox.map((row) => row.updateId))}
              and connection_id || '/' || update_id in ${sql.in(inbox.map((row) => `${row.connection}/${row.updateId}`))}
              and status = 'pending'`
        const mail = steps.flatMap((step) => (step.mail === undefined ? [] : [step.mail]))
        if (mail.length > 0)
          yield* sql`update actor_mail set status = 'done', done_at = now() where id in ${sql.in(mail)}`
        const claims = steps.flatMap((step) =>
          step.claims.map((claim) => ({
            chat_id: claim.chatId,
            thread_id: claim.threadId,
            actor_key: step.key
          }))
        )
        if (claims.length > 0)
          yield* sql`
            insert into topic_owner ${sql.insert(claims)}
            on conflict (chat_id, thread_id) do update set actor_key = excluded.actor_key`
        for (const step of steps)
          for (const change of step.timers)
            yield* change._tag === "Set"
              ? timers.set(
                  {
                    key: step.key,
                    name: change.set.name,
                    delay: change.set.delayMs,
                    event: change.set.event
                  },
                  change.generation
                )
              : timers.cancel(step.key, change.name)
      }).pipe(sql.withTransaction)

    /** Commits one step, with whatever other steps are ready; dies if the database fails. */
    const commit = yield* groupWriter({
      write: (steps: ReadonlyArray<Step>) => Effect.orDie(write(steps)),
      max: config.maxBatch,
      writers: config.committers
    })

    return { commit } as const
  }),
  dependencies: [SnapshotStore.Default, Outbox.Default, Timers.Default]
}) {}
