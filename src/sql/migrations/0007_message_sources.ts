import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * `message_map` keeps every message a call produced (an album has several) and, for copies and
 * forwards, the message each one copies, so replies, edits and reactions can cross a dialog.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`alter table message_map drop constraint message_map_pkey`
  yield* sql`alter table message_map add primary key (outbox_id, message_id)`
  yield* sql`alter table message_map add column source_chat_id bigint, add column source_message_id bigint`
  yield* sql`
    create index message_map_source_idx on message_map (connection_id, source_chat_id, source_message_id)
    where source_chat_id is not null`
})
