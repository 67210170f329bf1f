import { SqlClient } from "@effect/sql"
import { Effect, Option } from "effect"
import type { StoredSnapshot } from "./Step.ts"

/** One stored snapshot row. */
export interface SnapshotRow {
  readonly machine: string
  readonly version: number
  readonly snapshot: StoredSnapshot
}

/** The `actor_snapshot` table: one row per actor key, written with each committed step (StepCommitter). */
export class SnapshotStore extends Effect.Service<SnapshotStore>()("app/SnapshotStore", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const load = Effect.fn("SnapshotStore.load")(function* (key: string) {
      const rows = yield* sql<SnapshotRow>`
        select machine, version, snapshot from actor_snapshot where actor_key = ${key}`.pipe(Effect.orDie)
      return Option.fromNullable(rows[0])
    })

    /** The stored rows of `keys` (those that have one), in one statement. */
    const loadAll = (keys: ReadonlyArray<string>) =>
      (keys.length === 0
        ? Effect.succeed<ReadonlyArray<SnapshotRow & { readonly actor_key: string }>>([])
        : sql<SnapshotRow & { readonly actor_key: string }>`
            select actor_key, machine, version, snapshot from actor_snapshot where actor_key in ${sql.in(keys)}`
      ).pipe(
        Effect.map((rows) => new Map<string, SnapshotRow>(rows.map((row) => [row.actor_key, row]))),
        Effect.orDie
      )

    return { load, loadAll } as const
  })
}) {}
