import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * The HTTP API: bearer tokens (only a SHA-256 hash of each secret is kept; scoped to one group and
 * to verbs) and the external events posted to `POST /api/v1/events/{source}`, kept with their
 * `Idempotency-Key` so a retried request answers the same event.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    create table api_token (
      id text primary key,
      name text not null,
      chat_id bigint not null,
      scopes text[] not null,
      secret_hash text not null unique,
      created_by text not null,
      created_at timestamptz not null default now(),
      last_used_at timestamptz,
      revoked_at timestamptz
    )`
  yield* sql`
    create table api_event (
      id uuid primary key,
      chat_id bigint not null,
      source text not null,
      token_id text not null,
      idempotency_key text,
      body jsonb not null,
      received_at timestamptz not null default now()
    )`
  yield* sql`create unique index api_event_idempotency_idx on api_event (chat_id, idempotency_key)
    where idempotency_key is not null`
})
