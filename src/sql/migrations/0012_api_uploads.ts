import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Files uploaded to the HTTP API (`POST …/messages` as multipart). Outbox rows hold JSON params, so
 * an upload is kept here and named in the row's params as `{ "upload": <id> }`; the Sender sends it
 * to Telegram as a multipart file and deletes it once Telegram took or refused it.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    create table api_upload (
      id bigserial primary key,
      file_name text not null,
      content_type text not null,
      bytes bytea not null,
      created_at timestamptz not null default now()
    )`
})
