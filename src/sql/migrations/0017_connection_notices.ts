import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Every change to `connection` (a bot added, its backend group or settings changed, by Backline or
 * by hand) is announced on the `connections` channel, so the Router can keep the connections'
 * inboxes in memory instead of reading them for each batch of updates.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    create function connection_changed() returns trigger language plpgsql as $$
    begin
      perform pg_notify('connections', 'changed');
      return null;
    end
    $$`
  yield* sql`
    create trigger connection_changed after insert or update or delete or truncate on connection
    for each statement execute function connection_changed()`
})
