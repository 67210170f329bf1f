import { SqlClient } from "@effect/sql"
import { layer } from "@effect/vitest"
import { Effect, Layer, Ref } from "effect"
import { expect } from "vitest"
import { migrations, MigrationState, runMigrations } from "../../../src/sql/Migrations.ts"
import { recordStart } from "../../../src/sql/Instance.ts"
import { TestDatabaseLive } from "../../support/Database.ts"

const schema = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  return yield* sql<{ table_name: string; column_name: string; data_type: string }>`
    select table_name, column_name, data_type from information_schema.columns
    where table_schema = 'public' order by table_name, column_name`
})

/** Every migration's name, `NNNN_name`, in order. */
const all = Effect.map(migrations, (found) =>
  found.map(([id, name]) => `${String(id).padStart(4, "0")}_${name}`)
)

layer(Layer.merge(TestDatabaseLive, MigrationState.Default), { timeout: 60_000 })("migrations", (it) => {
  it.effect("apply every migration once; a second run changes nothing", () =>
    Effect.gen(function* () {
      const state = yield* MigrationState
      expect(yield* Ref.get(state.done)).toBe(false)
      // Numbered 1, 2, 3, … with no gap: a gap would let a later-added lower number be skipped.
      const names = yield* all
      expect(names.map((name) => Number(name.slice(0, 4)))).toEqual(names.map((_, index) => index + 1))
      expect(yield* runMigrations()).toEqual(names)
      expect(yield* Ref.get(state.done)).toBe(true)
      const after = yield* schema
      expect(after.map((column) => column.table_name)).toContain("instance")

      expect(yield* runMigrations()).toEqual([])
      expect(yield* schema).toEqual(after)
      const sql = yield* SqlClient.SqlClient
      const recorded = yield* sql<{ n: string }>`select count(*) as n from effect_sql_migrations`
      expect(Number(recorded[0]?.n)).toBe(names.length)
    })
  )

  it.effect("the instance row counts starts and keeps its installation time", () =>
    Effect.gen(function* () {
      yield* runMigrations()
      const first = yield* recordStart()
      const second = yield* recordStart()
      expect(second.starts).toBe(first.starts + 1)
      expect(second.installedAt).toEqual(first.installedAt)
    })
  )
})

layer(Layer.merge(TestDatabaseLive, MigrationState.Default), { timeout: 60_000 })(
  "migrations, concurrently",
  (it) => {
    it.effect("processes migrating a new database at the same time apply each migration once", () =>
      Effect.gen(function* () {
        const results = yield* Effect.all(
          Array.from({ length: 8 }, () => runMigrations()),
          {
            concurrency: "unbounded"
          }
        )
        expect(results.flat()).toEqual(yield* all)
      })
    )
  }
)
