import { SqlClient } from "@effect/sql"
import { Duration, Effect } from "effect"
import { mailChannel } from "./Mailbox.ts"

/** The channel a changed timer is announced on, so the scheduler looks at the next due time again. */
export const timerChannel = "timer"

/** The channel a journal row appended outside an actor's step is announced on. */
export const journalChannel = "journal"

/** A timer to set: `event` is delivered to `key` after `delay`; setting `name` again replaces it. */
export interface TimerInput {
  readonly key: string
  readonly name: string
  readonly delay: Duration.DurationInput
  readonly event: { readonly type: string }
}

/** Keys whose due timers go to the journal (for the plugin the key names) rather than to an actor. */
export const isPluginKey = (key: string) => key.startsWith("plugin:")

/**
 * Durable timers in the `timer` table, one per (key, name). When one falls due the scheduler
 * (TimerScheduler) mails its event to the actor `key`, or, for a `plugin:<id>` key, appends a
 * `timer.fired` journal row for that plugin. Both run inside the caller's transaction when there
 * is one. Actors set their timers by emitting `timer.set` / `timer.cancel` (see Step.ts).
 */
export class Timers extends Effect.Service<Timers>()("app/Timers", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const set = Effect.fn("Timers.set")(function* (input: TimerInput, generation = "") {
      yield* sql`
        insert into timer (actor_key, name, due_at, event, generation)
        values (${input.key}, ${input.name}, now() + ${Duration.toMillis(input.delay)} * interval '1 millisecond',
          ${JSON.stringify(input.event)}::jsonb, ${generation})
        on conflict (actor_key, name) do update
          set due_at = excluded.due_at, event = excluded.event, generation = excluded.generation`
      yield* sql`select pg_notify(${timerChannel}, ${input.key})`
    }, Effect.orDie)

    const cancel = Effect.fn("Timers.cancel")(function* (key: string, name: string) {
      yield* sql`delete from timer where actor_key = ${key} and name = ${name}`
    }, Effect.orDie)

    /**
     * Fires up to `limit` due timers in one statement: each is deleted and becomes an actor's mail
     * or a plugin's journal row. Answers how many fired and when the next one is due.
     */
    const fireDue = (limit: number) =>
      Effect.gen(function* () {
        const [row] = yield* sql<{ fired: number; actors: number; plugins: number }>`
          with due as (
            delete from timer where id in (
              select id from timer where due_at <= now() order by due_at limit ${limit} for update skip locked
            ) returning id, actor_key, name, event, generation
          ), mailed as (
            insert into actor_mail (actor_key, source, event, timer_name, timer_generation)
            select actor_key, 'timer', event, name, generation from due where actor_key not like 'plugin:%'
            returning 1
          ), journalled as (
            insert into journal (actor_key, cause, ordinal, type, event)
            select actor_key, 'timer:' || id, 0, 'timer.fired',
              jsonb_build_object('type', 'timer.fired', 'name', name, 'event', event)
            from due where actor_key like 'plugin:%'
            on conflict do nothing returning 1
          )
          select (select count(*) from due)::int as fired, (select count(*) from mailed)::int as actors,
            (select count(*) from journalled)::int as plugins`
        if ((row?.actors ?? 0) > 0) yield* sql`select pg_notify(${mailChannel}, 'timers')`
        if ((row?.plugins ?? 0) > 0) yield* sql`select pg_notify(${journalChannel}, 'timers')`
        const [next] = yield* sql<{ wait_ms: number | null }>`
          select (extract(epoch from (min(due_at) - now())) * 1000)::float8 as wait_ms from timer`
        return { fired: row?.fired ?? 0, nextInMs: next?.wait_ms ?? null }
      }).pipe(Effect.orDie)

    return { set, cancel, fireDue } as const
  })
}) {}
