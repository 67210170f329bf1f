import { randomUUID } from "node:crypto"
import { SqlClient } from "@effect/sql"
import { Data, Effect } from "effect"
import { journalChannel } from "../actors/Timers.ts"
import type { ApiEventReceived } from "../plugins/PluginEvents.ts"

/** An `Idempotency-Key` seen before with another source or body. */
export class IdempotencyKeyReused extends Data.TaggedError("IdempotencyKeyReused")<{
  readonly key: string
}> {}

/** What `POST /api/v1/events/{source}` answers, the same for a retried request. */
export interface StoredEvent {
  readonly eventId: string
  readonly receivedAt: string
  /** Whether this request repeated an earlier one (same `Idempotency-Key`): nothing new was stored. */
  readonly duplicate: boolean
}

/** The actor key an event's journal row is filed under: `api:<source>`. */
export const eventActorKey = (source: string) => `api:${source}`

interface Raw {
  readonly id: string
  readonly source: string
  readonly same_body: boolean
  readonly received_at: Date
}

/**
 * External events (`POST /api/v1/events/{source}`): each stored in `api_event` and, in the same
 * transaction, appended to the journal as `api.eventReceived` under `api:<source>`, so the plugin
 * host delivers it, in commit order, to the plugins enabled in the token's group.
 */
export class Events extends Effect.Service<Events>()("app/api/Events", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const existing = (group: number, key: string, body: string) =>
      sql<Raw>`
        select id::text as id, source, body = ${body}::jsonb as same_body, received_at from api_event
        where chat_id = ${group} and idempotency_key = ${key}`.pipe(Effect.map((rows) => rows[0]))

    const store = Effect.fn("Events.store")(
      function* (input: {
        readonly group: number
        readonly source: string
        readonly tokenId: string
        readonly idempotencyKey: string | undefined
        readonly body: unknown
      }) {
        const body = JSON.stringify(input.body ?? null)
        const key = input.idempotencyKey
        const repeat = (found: Raw) =>
          found.source === input.source && found.same_body
            ? Effect.succeed<StoredEvent>({
                eventId: found.id,
                receivedAt: found.received_at.toISOString(),
                duplicate: true
              })
            : Effect.fail(new IdempotencyKeyReused({ key: key ?? "" }))
        if (key !== undefined) {
          const found = yield* existing(input.group, key, body)
          if (found !== undefined) return yield* repeat(found)
        }
        const eventId = randomUUID()
        const inserted = yield* Effect.gen(function* () {
          const rows = yield* sql<{ received_at: Date }>`
          insert into api_event (id, chat_id, source, token_id, idempotency_key, body)
          values (${eventId}, ${input.group}, ${input.source}, ${input.tokenId}, ${key ?? null}, ${body}::jsonb)
          on conflict do nothing
          returning received_at`
          const row = rows[0]
          if (row === undefined) return undefined
          const event: ApiEventReceived = {
            type: "api.eventReceived",
            eventId,
            source: input.source,
            chatId: input.group,
            body: input.body ?? null,
            receivedAt: row.received_at.toISOString()
          }
          yield* sql`
          insert into journal (actor_key, cause, ordinal, type, event)
          values (${eventActorKey(input.source)}, ${`api:${eventId}`}, 0, ${event.type}, ${JSON.stringify(event)}::jsonb)`
          yield* sql`select pg_notify(${journalChannel}, ${eventActorKey(input.source)})`
          return event.receivedAt
        }).pipe(sql.withTransaction)
        if (inserted !== undefined)
          return { eventId, receivedAt: inserted, duplicate: false } satisfies StoredEvent
        // A concurrent request with the same key won the insert: answer what it stored.
        const found = yield* existing(input.group, key ?? "", body)
        return found === undefined
          ? yield* Effect.dieMessage("api_event: the conflicting row vanished")
          : yield* repeat(found)
      },
      Effect.catchTag("SqlError", Effect.die)
    )

    return { store } as const
  })
}) {}
