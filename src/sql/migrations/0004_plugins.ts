import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Plugins: where each one has read the journal to, the deliveries it failed (retried, then dead),
 * its key-value state, and its settings per group and topic.
 *
 * `journal.txid` is the id of the transaction that appended a row. Rows are read in (txid, seq)
 * order and only once every transaction with a smaller id has ended, so a row committed late can
 * never land behind a plugin's cursor (`seq` alone is taken at insert, not at commit).
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`alter table journal add column txid xid8 not null default pg_current_xact_id()`
  yield* sql`create index journal_txid_idx on journal (txid, seq)`
  // actor_key '' is the plugin's cursor: every row up to it is settled. A row with an actor key
  // records that actor's progress past the cursor, so a restart skips what was already handled.
  yield* sql`
    create table plugin_cursor (
      plugin_id text not null,
      actor_key text not null,
      txid xid8 not null,
      seq bigint not null,
      updated_at timestamptz not null default now(),
      primary key (plugin_id, actor_key)
    )`
  yield* sql`
    create table plugin_delivery (
      id bigserial primary key,
      plugin_id text not null,
      actor_key text not null,
      txid xid8 not null,
      seq bigint not null,
      status text not null default 'pending' check (status in ('pending', 'dead')),
      attempts integer not null default 0,
      not_before timestamptz not null default now(),
      error text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (plugin_id, seq)
    )`
  yield* sql`
    create index plugin_delivery_pending_idx on plugin_delivery (plugin_id, actor_key, txid, seq)
    where status = 'pending'`
  // chat_id 0: the plugin's own state, not a group's; thread_id 0: the whole group.
  yield* sql`
    create table plugin_state (
      plugin_id text not null,
      chat_id bigint not null,
      thread_id bigint not null,
      key text not null,
      value jsonb not null,
      updated_at timestamptz not null default now(),
      primary key (plugin_id, chat_id, thread_id, key)
    )`
  // thread_id 0: the whole group. `enabled` null inherits; `config` holds only the keys overridden.
  yield* sql`
    create table plugin_setting (
      plugin_id text not null,
      chat_id bigint not null,
      thread_id bigint not null,
      enabled boolean,
      config jsonb not null default '{}',
      updated_by bigint,
      updated_at timestamptz not null default now(),
      primary key (plugin_id, chat_id, thread_id)
    )`
})
