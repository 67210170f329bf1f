import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { outboxChannel, outboxColumns } from "../telegram/Outbox.ts"
import type { Step } from "./Step.ts"
import { journalChannel, Timers } from "./Timers.ts"

/**
 * Commits actors' steps: each step's snapshot, journal rows, outbox rows, timer changes and inbox
 * or mail row atomically, a group of steps (of different keys) at once. The ActorHost decides
 * which steps share a commit, and commits them one by one should a shared commit fail.
 */
export class StepCommitter extends Effect.Service<StepCommitter>()("app/StepCommitter", {
  scoped: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const timers = yield* Timers

    /**
     * Everything but timer changes in one statement: atomic without a transaction, and one round
     * trip for the whole group. Rows are passed as JSON (one parameter per table, whatever the
     * group's size) and inserted in the order given, so `journal.seq` and `outbox.id` keep each
     * step's order. The journal's readers and the Sender are woken at commit.
     */
    const writeRows = (steps: ReadonlyArray<Step>) => {
      const snapshots = steps.map((step) => ({
        actor_key: step.key,
        machine: step.machine,
        version: step.version,
        snapshot: step.snapshot
      }))
      // `n`: the row's place, which `order by n` keeps in `journal.seq` and `outbox.id`.
      const journal = steps
        .flatMap((step) =>
          step.journal.map((event, ordinal) => ({
            actor_key: step.key,
            cause: step.cause,
            ordinal,
            type: event.type,
            event
          }))
        )
        .map((row, n) => ({ n, ...row }))
      const sends = steps.flatMap((step) => step.outbox.map(outboxColumns)).map((row, n) => ({ n, ...row }))
      const inbox = steps.flatMap((step) => (step.inbox === undefined ? [] : [step.inbox]))
      const mail = steps.flatMap((step) => (step.mail === undefined ? [] : [step.mail]))
      const claims = steps.flatMap((step) =>
        step.claims.map((claim) => ({
          chat_id: claim.chatId,
          thread_id: claim.threadId,
          actor_key: step.key
        }))
      )
      const notify = [
        ...(journal.length > 0 ? [sql`pg_notify(${journalChannel}, ${journal[0]!.actor_key})`] : []),
        ...(sends.length > 0 ? [sql`pg_notify(${outboxChannel}, ${sends[0]!.connection_id})`] : [])
      ]
      // The inbox and mail rows are named by value as well, so PostgreSQL finds them by primary key.
      return sql`
        with saved as (
          insert into actor_snapshot (actor_key, machine, version, snapshot)
          select actor_key, machine, version, snapshot
          from jsonb_to_recordset(${JSON.stringify(snapshots)}::jsonb)
            as s(actor_key text, machine text, version integer, snapshot jsonb)
          on conflict (actor_key) do update set machine = excluded.machine, version = excluded.version,
            snapshot = excluded.snapshot, updated_at = now()
        ), journalled as (
          insert into journal (actor_key, cause, ordinal, type, event)
          select actor_key, cause, ordinal, type, event
          from jsonb_to_recordset(${JSON.stringify(journal)}::jsonb)
            as j(n integer, actor_key text, cause text, ordinal integer, type text, event jsonb)
          order by n
          on conflict do nothing
        ), queued as (
          insert into outbox (connection_id, chat_id, method, params, actor_key, cause, reply_as, report_failure)
          select connection_id, chat_id, method, params, actor_key, cause, reply_as, report_failure
          from jsonb_to_recordset(${JSON.stringify(sends)}::jsonb)
            as o(n integer, connection_id text, chat_id bigint, method text, params jsonb, actor_key text,
              cause text, reply_as text, report_failure boolean)
          order by n
        )${
          inbox.length === 0
            ? sql``
            : sql`, applied as (
          update inbox set status = 'done', done_at = now()
          where connection_id in ${sql.in(inbox.map((row) => row.connection))}
            and update_id in ${sql.in(inbox.map((row) => row.updateId))}
            and connection_id || '/' || update_id in ${sql.in(inbox.map((row) => `${row.connection}/${row.updateId}`))}
            and status = 'pending'
        )`
        }${
          mail.length === 0
            ? sql``
            : sql`, opened as (
          update actor_mail set status = 'done', done_at = now() where id in ${sql.in(mail)}
        )`
        }${
          claims.length === 0
            ? sql``
            : sql`, claimed as (
          insert into topic_owner (chat_id, thread_id, actor_key)
          select chat_id, thread_id, actor_key
          from jsonb_to_recordset(${JSON.stringify(claims)}::jsonb) as c(chat_id bigint, thread_id bigint, actor_key text)
          on conflict (chat_id, thread_id) do update set actor_key = excluded.actor_key
        )`
        }
        select ${notify.length === 0 ? sql`1` : sql.csv(notify)}`
    }

    const write = (steps: ReadonlyArray<Step>) => {
      const timed = steps.filter((step) => step.timers.length > 0)
      if (timed.length === 0) return Effect.asVoid(writeRows(steps))
      return Effect.gen(function* () {
        yield* writeRows(steps)
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
      }).pipe(sql.withTransaction)
    }

    /** Commits `steps` (of different keys) together, or none of them; dies if the database fails. */
    const commit = (steps: ReadonlyArray<Step>): Effect.Effect<void> => Effect.orDie(write(steps))

    return { commit } as const
  }),
  dependencies: [Timers.Default]
}) {}
