import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * The Sender reads new outbox rows in (txid, id) order and only below the oldest running
 * transaction, as plugins read the journal: a row committed late (its transaction began before
 * others that committed first) can then never appear behind a row of its lane already sent.
 * The per-lane index goes: lanes are kept in memory.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`alter table outbox add column txid xid8 not null default pg_current_xact_id()`
  yield* sql`create index outbox_pending_txid_idx on outbox (txid, id) where status = 'pending'`
  yield* sql`drop index outbox_pending_topic_idx`
})
