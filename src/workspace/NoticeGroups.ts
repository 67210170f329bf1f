import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Where Backline's own notices go: the backend groups of its connections (`connection.backend_group_id`).
 */
export class NoticeGroups extends Effect.Service<NoticeGroups>()("app/NoticeGroups", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    /** The backend group of a connection (`bot:…`, `account:…`), or every backend group if it has none. */
    const ofConnection = Effect.fn("NoticeGroups.ofConnection")(function* (connection: string) {
      const rows = yield* sql<{ group_id: string }>`
        select backend_group_id as group_id from connection
        where id = ${connection} and backend_group_id is not null`.pipe(Effect.orDie)
      return rows.length > 0 ? rows.map((row) => Number(row.group_id)) : yield* all
    })

    /** Every backend group of an enabled connection. */
    const all = sql<{ group_id: string }>`
      select distinct backend_group_id as group_id from connection
      where enabled and backend_group_id is not null order by 1`.pipe(
      Effect.map((rows) => rows.map((row) => Number(row.group_id))),
      Effect.orDie,
      Effect.withSpan("NoticeGroups.all")
    )

    return { ofConnection, all } as const
  })
}) {}
