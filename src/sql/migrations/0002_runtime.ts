import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * The durable runtime: connections, the inbox of Telegram updates, actor snapshots, the journal
 * of emitted events, the outbox of Bot API calls, sent-message ids, timers and dead letters.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    create table connection (
      id text primary key,
      kind text not null default 'bot' check (kind in ('bot', 'account')),
      token text not null,
      api_root text not null,
      enabled boolean not null default true,
      webhook_secret text,
      created_at timestamptz not null default now()
    )`
  yield* sql`
    create table inbox (
      connection_id text not null,
      update_id bigint not null,
      payload jsonb not null,
      status text not null default 'pending' check (status in ('pending', 'done', 'dead')),
      received_at timestamptz not null default now(),
      done_at timestamptz,
      primary key (connection_id, update_id)
    )`
  yield* sql`create index inbox_pending_idx on inbox (received_at) where status = 'pending'`
  yield* sql`
    create table dead_letter (
      id bigserial primary key,
      source text not null,
      ref text not null,
      reason text not null,
      payload jsonb,
      created_at timestamptz not null default now()
    )`
  yield* sql`
    create table actor_snapshot (
      actor_key text primary key,
      machine text not null,
      version integer not null,
      snapshot jsonb not null,
      updated_at timestamptz not null default now()
    )`
  yield* sql`
    create table journal (
      seq bigserial primary key,
      actor_key text not null,
      cause text not null,
      ordinal integer not null,
      type text not null,
      event jsonb not null,
      created_at timestamptz not null default now(),
      unique (cause, actor_key, ordinal)
    )`
  yield* sql`create index journal_actor_idx on journal (actor_key, seq)`
  yield* sql`
    create table outbox (
      id bigserial primary key,
      connection_id text not null,
      chat_id bigint not null,
      method text not null,
      params jsonb not null,
      actor_key text,
      cause text,
      status text not null default 'pending' check (status in ('pending', 'sent', 'failed')),
      attempts integer not null default 0,
      not_before timestamptz,
      error text,
      result jsonb,
      created_at timestamptz not null default now(),
      sent_at timestamptz
    )`
  yield* sql`create index outbox_pending_idx on outbox (connection_id, chat_id, id) where status = 'pending'`
  yield* sql`
    create table message_map (
      outbox_id bigint primary key references outbox (id),
      connection_id text not null,
      chat_id bigint not null,
      message_id bigint not null
    )`
  yield* sql`create index message_map_message_idx on message_map (connection_id, chat_id, message_id)`
  yield* sql`
    create table timer (
      id bigserial primary key,
      actor_key text not null,
      name text not null,
      due_at timestamptz not null,
      event jsonb not null,
      unique (actor_key, name)
    )`
  yield* sql`create index timer_due_idx on timer (due_at)`
})
