import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Outbound webhooks and custom commands. A subscription sends a group's events to a URL, signed
 * per Standard Webhooks with its own secret (kept readable: signing needs it). Each event for a
 * subscription is one `webhook_delivery` row (unique per journal row, so the journal reader can
 * repeat a batch without sending twice), retried with back-off for a day; each try is logged in
 * `webhook_attempt`. `webhook_cursor` is how far the reader has read the journal, and
 * `webhook_dialog_status` each dialog's last status (a reopening is a closed dialog that is awaited
 * again). `custom_command` holds the admins' `/cmd` commands per group.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    create table webhook_subscription (
      id bigserial primary key,
      chat_id bigint not null,
      url text not null,
      events text[] not null,
      secret text not null,
      enabled boolean not null default true,
      failing_since timestamptz,
      disabled_at timestamptz,
      disabled_reason text,
      created_by text not null,
      created_at timestamptz not null default now()
    )`
  yield* sql`create index webhook_subscription_chat_idx on webhook_subscription (chat_id)`
  yield* sql`
    create table webhook_delivery (
      id bigserial primary key,
      subscription_id bigint not null references webhook_subscription (id) on delete cascade,
      seq bigint not null,
      event_type text not null,
      body text not null,
      status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
      attempts integer not null default 0,
      next_attempt_at timestamptz not null,
      locked_until timestamptz,
      last_status integer,
      last_error text,
      created_at timestamptz not null,
      finished_at timestamptz,
      unique (subscription_id, seq)
    )`
  yield* sql`create index webhook_delivery_due_idx on webhook_delivery (next_attempt_at) where status = 'pending'`
  yield* sql`
    create table webhook_attempt (
      id bigserial primary key,
      delivery_id bigint not null references webhook_delivery (id) on delete cascade,
      attempt integer not null,
      at timestamptz not null,
      status_code integer,
      error text,
      latency_ms integer not null
    )`
  yield* sql`create index webhook_attempt_delivery_idx on webhook_attempt (delivery_id, attempt)`
  yield* sql`
    create table webhook_cursor (
      id integer primary key check (id = 1),
      txid xid8 not null,
      seq bigint not null
    )`
  yield* sql`
    create table webhook_dialog_status (
      actor_key text primary key,
      status text not null
    )`
  yield* sql`
    create table custom_command (
      chat_id bigint not null,
      name text not null,
      kind text not null check (kind in ('text', 'webhook')),
      answer text not null,
      secret text,
      created_by bigint not null,
      created_at timestamptz not null default now(),
      primary key (chat_id, name)
    )`
})
