import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { dialogSettingsOf, type DialogSettings } from "../domain/DialogSettings.ts"

/** A connection serving a backend group, with its settings as set and as applied. */
export interface InboxConnection {
  readonly id: string
  /** The text admins set, by setting name (only those changed from their defaults). */
  readonly stored: Readonly<Record<string, string>>
  readonly settings: DialogSettings
}

/** The inbox settings of each connection (`connection.settings`), as `/settings` and `/set` change them. */
export class InboxSettings extends Effect.Service<InboxSettings>()("app/InboxSettings", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    /** The connections whose clients' topics open in `groupId`. */
    const ofGroup = Effect.fn("InboxSettings.ofGroup")(function* (groupId: number) {
      const rows = yield* sql<{ id: string; settings: Record<string, string> }>`
        select id, settings from connection where backend_group_id = ${groupId} and enabled order by id`.pipe(
        Effect.orDie
      )
      return rows.map((row): InboxConnection => ({
        id: row.id,
        stored: row.settings,
        settings: dialogSettingsOf(row.settings)
      }))
    })

    /** One connection and its settings, if it exists. */
    const ofConnection = Effect.fn("InboxSettings.ofConnection")(function* (connection: string) {
      const rows = yield* sql<{ id: string; settings: Record<string, string> }>`
        select id, settings from connection where id = ${connection}`.pipe(Effect.orDie)
      const row = rows[0]
      return row === undefined
        ? undefined
        : ({
            id: row.id,
            stored: row.settings,
            settings: dialogSettingsOf(row.settings)
          } satisfies InboxConnection)
    })

    /** Stores the text of setting `name` (already checked with `parseSetting`); `null` restores its default. */
    const set = Effect.fn("InboxSettings.set")(function* (
      connection: string,
      name: string,
      raw: string | null
    ) {
      yield* (
        raw === null
          ? sql`update connection set settings = settings - ${name} where id = ${connection}`
          : sql`update connection set settings = settings || jsonb_build_object(${name}::text, ${raw}::text)
              where id = ${connection}`
      ).pipe(Effect.orDie)
    })

    /** The client of `connection` whose Telegram username is `username` (without @), if one has written. */
    const clientNamed = Effect.fn("InboxSettings.clientNamed")(function* (
      connection: string,
      username: string
    ) {
      const rows = yield* sql<{ actor_key: string }>`
        select actor_key from actor_snapshot
        where actor_key like ${`dialog:${connection}:%`}
          and lower(snapshot->'state'->'context'->'client'->>'username') = lower(${username})
        order by updated_at desc limit 1`.pipe(Effect.orDie)
      const key = rows[0]?.actor_key
      return key === undefined ? undefined : Number(key.slice(key.lastIndexOf(":") + 1))
    })

    return { ofGroup, ofConnection, set, clientNamed } as const
  })
}) {}
