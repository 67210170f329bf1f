import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Each connection's inbox settings (`WELCOME`, `AUTOCLOSE`, `REPLY_ONLY`, …: only those changed
 * from their defaults), and outbox rows whose actor wants to hear of a refused call.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`alter table connection add column settings jsonb not null default '{}'`
  yield* sql`alter table outbox add column report_failure boolean not null default false`
})
