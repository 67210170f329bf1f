import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Durable mail to actors: events that do not come from Telegram (due timers, results of Bot API
 * calls an actor asked to hear about, commands from plugins and the HTTP API), each applied by its
 * actor exactly once. `outbox.reply_as` names the event a sent call's result comes back as; a
 * timer's `generation` tells a due timer from one its actor has since set again or cancelled.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    create table actor_mail (
      id bigserial primary key,
      actor_key text not null,
      source text not null,
      event jsonb not null,
      timer_name text,
      timer_generation text,
      status text not null default 'pending' check (status in ('pending', 'done', 'dead')),
      created_at timestamptz not null default now(),
      done_at timestamptz
    )`
  yield* sql`create index actor_mail_pending_idx on actor_mail (id) where status = 'pending'`
  yield* sql`alter table outbox add column reply_as text`
  yield* sql`alter table timer add column generation text not null default ''`
})
