import { SqlClient } from "@effect/sql"
import { Effect, Option } from "effect"
import { outboxChannel, outboxColumns, rowOfEntry } from "../telegram/Outbox.ts"
import { OutboxFeed } from "../telegram/OutboxFeed.ts"
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
    const feed = yield* Effect.serviceOption(OutboxFeed)
    const handsOver = () => Option.isSome(feed) && feed.value.reading()

    /**
     * Everything but timer changes in one statement: atomic without a transaction, and one round
     * trip for the whole group. Rows are passed as JSON (one parameter per table, whatever the
     * group's size) and inserted in the order given, so `journal.seq` and `outbox.id` keep each
     * step's order. The journal's readers are woken at commit, and so is the Sender unless the
     * rows are handed to it (`OutboxFeed`): the statement answers the outbox rows' ids and
     * transaction, in order.
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
        ...(sends.length > 0 && !handsOver()
          ? [sql`pg_notify(${outboxChannel}, ${sends[0]!.connection_id})`]
          : [])
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
          returning id, txid
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
        select ${notify.length === 0 ? sql`1` : sql.csv(notify)},
          (select coalesce(json_agg(json_build_object('id', id, 'txid', txid::text) order by id), '[]')
           from queued) as queued`.pipe(
        Effect.map((rows) => {
          const queued = (rows[0] as { queued?: ReadonlyArray<{ id: number; txid: string }> } | undefined)
            ?.queued
          return steps
            .flatMap((step) => step.outbox)
            .map((entry, n) => rowOfEntry(entry, Number(queued?.[n]?.id), queued?.[n]?.txid ?? "0"))
        })
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
