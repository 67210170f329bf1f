import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/** What the database remembers about this installation. */
export interface InstanceRecord {
  readonly installedAt: Date
  readonly starts: number
}

/** Counts this start and answers when the installation's data was first created. */
export const recordStart = Effect.fn("Instance.recordStart")(function* () {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql<{ installed_at: Date; starts: string }>`
    insert into instance (starts) values (1)
    on conflict (id) do update set starts = instance.starts + 1, started_at = now()
    returning installed_at, starts`
  const row = rows[0]
  return {
    installedAt: row?.installed_at ?? new Date(),
    starts: Number(row?.starts ?? 1)
  } satisfies InstanceRecord
})
