import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Outbox lanes per forum topic: the Sender keeps calls in order per (connection, chat,
 * `params ->> 'message_thread_id'`), and finds a lane's next pending row through this index,
 * which replaces the one per (connection, chat).
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    create index outbox_pending_topic_idx
    on outbox (connection_id, chat_id, (params ->> 'message_thread_id'), id)
    where status = 'pending'`
  yield* sql`drop index outbox_pending_idx`
})
