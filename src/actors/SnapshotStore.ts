import { SqlClient } from "@effect/sql"
import { Effect, Option } from "effect"
import type { Step, StoredSnapshot } from "./Step.ts"

/** One stored snapshot row. */
export interface SnapshotRow {
  readonly machine: string
  readonly version: number
  readonly snapshot: StoredSnapshot
}

/** The `actor_snapshot` table: one row per actor key, written with each committed step. */
export class SnapshotStore extends Effect.Service<SnapshotStore>()("app/SnapshotStore", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const load = Effect.fn("SnapshotStore.load")(function* (key: string) {
      const rows = yield* sql<SnapshotRow>`
        select machine, version, snapshot from actor_snapshot where actor_key = ${key}`.pipe(Effect.orDie)
      return Option.fromNullable(rows[0])
    })

    /** Upserts the snapshots of steps of distinct keys (inside the caller's transaction). */
    const saveAll = (steps: ReadonlyArray<Step>) =>
      steps.length === 0
        ? Effect.void
        : sql`
            insert into actor_snapshot ${sql.insert(
              steps.map((step) => ({
                actor_key: step.key,
                machine: step.machine,
                version: step.version,
                snapshot: JSON.stringify(step.snapshot)
              }))
            )}
            on conflict (actor_key) do update set machine = excluded.machine, version = excluded.version,
              snapshot = excluded.snapshot, updated_at = now()`.pipe(Effect.asVoid)

    return { load, saveAll } as const
  })
}) {}
