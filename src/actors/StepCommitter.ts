import { SqlClient } from "@effect/sql"
import { Effect, Option } from "effect"
import { outboxColumns, rowOfEntry, type OutboxEntry } from "../telegram/Outbox.ts"
import { OutboxFeed } from "../telegram/OutboxFeed.ts"
import type { Step } from "./Step.ts"
import { Timers } from "./Timers.ts"

/**
 * Commits actors' steps: each step's snapshot, journal rows, outbox rows, timer changes and inbox
 * or mail row atomically, a group of steps (of different keys) at once. The ActorHost decides
 * which steps share a commit, and commits them one by one should a shared commit fail.
 */
export class StepCommitter extends Effect.Service<StepCommitter>()("app/StepCommitter", {
  scoped: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const timers = yield* Timers
    const feed = yield* Effect.serviceOption(OutboxFeed)
    const handsOver = () => Option.isSome(feed) && feed.value.reading()

    /**
     * Everything but timer changes in one statement (`commit_steps`, migration 0015): atomic
     * without a transaction, and one round trip for the whole group. Rows are passed as JSON (one
     * parameter per table, whatever the group's size) and inserted in the order given, so
     * `journal.seq` and `outbox.id` keep each step's order. The journal's readers are woken at
     * commit, and so is the Sender unless the rows are handed to it (`OutboxFeed`). Answers the
     * outbox rows as the Sender takes them, with the ids and transaction the table gave them.
     */
    const writeRows = (steps: ReadonlyArray<Step>) => {
      const snapshots = steps.map((step) => ({
        actor_key: step.key,
        machine: step.machine,
        version: step.version,
        snapshot: step.snapshot
      }))
      // `n`: the row's place, which `order by n` keeps in `journal.seq` and `outbox.id`.
      const journal = []
      const entries: Array<OutboxEntry> = []
      const inbox = []
      const mail = []
      const claims = []
      for (const step of steps) {
        for (const [ordinal, event] of step.journal.entries())
          journal.push({
            n: journal.length,
            actor_key: step.key,
            cause: step.cause,
            ordinal,
            type: event.type,
            event
          })
        entries.push(...step.outbox)
        if (step.inbox !== undefined)
          inbox.push({ connection_id: step.inbox.connection, update_id: step.inbox.updateId })
        if (step.mail !== undefined) mail.push(step.mail)
        for (const claim of step.claims)
          claims.push({ chat_id: claim.chatId, thread_id: claim.threadId, actor_key: step.key })
      }
      const sends = entries.map((entry, n) => ({ n, ...outboxColumns(entry) }))
      const journalNotice = journal.length > 0 ? journal[0]!.actor_key : null
      const outboxNotice = sends.length > 0 && !handsOver() ? sends[0]!.connection_id : null
      return sql<{ id: string; txid: string }>`
        select id, txid from commit_steps(${JSON.stringify(snapshots)}::jsonb, ${JSON.stringify(journal)}::jsonb,
          ${JSON.stringify(sends)}::jsonb, ${JSON.stringify(inbox)}::jsonb, ${JSON.stringify(mail)}::jsonb,
          ${JSON.stringify(claims)}::jsonb, ${journalNotice}, ${outboxNotice})`.pipe(
        Effect.map((queued) =>
          entries.map((entry, n) => rowOfEntry(entry, Number(queued[n]!.id), queued[n]!.txid))
        )
      )
    }

    const write = (steps: ReadonlyArray<Step>) => {
      const timed = steps.filter((step) => step.timers.length > 0)
      if (timed.length === 0) return writeRows(steps)
      return Effect.gen(function* () {
        const rows = yield* writeRows(steps)
        for (const step of timed)
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
        return rows
      }).pipe(sql.withTransaction)
    }

    /**
     * Commits `steps` (of different keys) together, or none of them, then hands their outbox rows
     * to the Sender; dies if the database fails.
     */
    const commit = (steps: ReadonlyArray<Step>): Effect.Effect<void> =>
      write(steps).pipe(
        Effect.map((rows) => {
          if (Option.isSome(feed)) feed.value.publish(rows)
        }),
        Effect.orDie
      )

    return { commit } as const
  }),
  dependencies: [Timers.Default]
}) {}
