import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/** One row describing this installation: when its data was created and last started. */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    create table instance (
      id boolean primary key default true check (id),
      installed_at timestamptz not null default now(),
      started_at timestamptz not null default now(),
      starts bigint not null default 0
    )`
})
