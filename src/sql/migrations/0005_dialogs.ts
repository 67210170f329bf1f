import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Client dialogs: each connection's backend group (where its clients' topics are opened) and the
 * owner of each claimed forum topic (the Router sends that topic's messages to it).
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`alter table connection add column backend_group_id bigint`
  yield* sql`
    create table topic_owner (
      chat_id bigint not null,
      thread_id bigint not null,
      actor_key text not null,
      primary key (chat_id, thread_id)
    )`
})
