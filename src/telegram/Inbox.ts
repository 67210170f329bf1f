import { SqlClient } from "@effect/sql"
import { Data, Effect, Either, Exit, Option } from "effect"
import { decodeUpdate, updateIdOf, type DomainEvent, type UpdateId } from "../domain/Events.ts"
import type { ConnectionId } from "../domain/Ids.ts"
import { InboxFeed, inboxKey } from "./InboxFeed.ts"

/** An update without a usable `update_id`: it cannot be keyed, so it is not stored at all. */
export class UpdateIdMissing extends Data.TaggedError("UpdateIdMissing")<{
  readonly connection: ConnectionId
}> {}

/** What storing one update did. */
export interface Stored {
  readonly updateId: UpdateId
  /** `false` for a redelivered update already in the inbox: nothing was written for it. */
  readonly isNew: boolean
  /** `dead` when the update could not be decoded (it is also in `dead_letter`). */
  readonly status: "pending" | "dead"
  /** The domain events the update decodes to (none for a dead update or a kind Backline ignores). */
  readonly events: ReadonlyArray<DomainEvent>
}

interface Prepared {
  readonly updateId: UpdateId
  readonly update: unknown
  readonly decoded: Either.Either<ReadonlyArray<DomainEvent>, { readonly reason: string }>
}

/**
 * The durable inbox of raw Telegram updates, keyed by (connection, update id): a redelivered update
 * is a no-op. An update that cannot be decoded is stored as `dead` and copied to `dead_letter`
 * without holding up the others. New rows are handed to the Router through the `InboxFeed` once
 * committed, when the process has one; otherwise storing them notifies the `inbox` channel.
 */
export class Inbox extends Effect.Service<Inbox>()("app/Inbox", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const feed = yield* Effect.serviceOption(InboxFeed)

    const write = (connection: ConnectionId, batch: ReadonlyArray<Prepared>, notify: boolean) =>
      Effect.gen(function* () {
        const rows = batch.map(({ updateId, update, decoded }) => ({
          connection_id: connection,
          update_id: updateId,
          payload: JSON.stringify(update), // an untyped parameter, cast by PostgreSQL to the jsonb column
          status: Either.isLeft(decoded) ? "dead" : "pending"
        }))
        const inserted = yield* sql<{ update_id: string }>`
          insert into inbox ${sql.insert(rows)} on conflict do nothing returning update_id`
        const fresh = new Set(inserted.map((row) => Number(row.update_id)))
        const dead = batch.flatMap(({ updateId, update, decoded }) =>
          Either.isLeft(decoded) && fresh.has(updateId)
            ? [
                {
                  source: "inbox",
                  ref: `${connection}/${updateId}`,
                  reason: decoded.left.reason,
                  payload: JSON.stringify(update)
                }
              ]
            : []
        )
        if (dead.length > 0) yield* sql`insert into dead_letter ${sql.insert(dead)}`
        // NOTIFY is delivered at commit. PgClient.notify is broken in sql-pg 0.53, hence the SELECT.
        if (notify && fresh.size > dead.length) yield* sql`select pg_notify('inbox', ${connection})`
        return fresh
      })

    /** Writes the batch: one statement when there is nothing else to write with it. */
    const writeBatch = (connection: ConnectionId, batch: ReadonlyArray<Prepared>, notify: boolean) => {
      const alone = !notify && batch.every(({ decoded }) => Either.isRight(decoded))
      return write(connection, batch, notify).pipe(
        alone ? (effect) => effect : sql.withTransaction,
        Effect.orDie
      )
    }

    /**
     * Stores a batch of raw updates (parsed JSON) in one transaction, answering what happened to
     * each one that has an update id; one without is logged and skipped.
     */
    const storeAll = Effect.fnUntraced(function* (connection: ConnectionId, updates: ReadonlyArray<unknown>) {
      const batch: Array<Prepared> = []
      for (const update of updates) {
        const updateId = updateIdOf(update)
        if (updateId === undefined) {
          yield* Effect.logWarning(`inbox: an update from ${connection} has no update_id; skipped`)
          continue
        }
        batch.push({ updateId, update, decoded: decodeUpdate(connection, update) })
      }
      if (batch.length === 0) return []
      // Kept from the Router's reads of the table until handed over (or let go), so that it takes
      // them in the order they came, after what it was handed before.
      const reserved = Option.isSome(feed)
        ? feed.value.reserve(batch.map(({ updateId }) => inboxKey({ connection, updateId })))
        : new Set<string>()
      const fresh = yield* writeBatch(connection, batch, Option.isNone(feed) || !feed.value.reading()).pipe(
        Effect.onExit((exit) =>
          Exit.isFailure(exit) && Option.isSome(feed)
            ? Effect.sync(() => feed.value.release(reserved))
            : Effect.void
        )
      )
      for (const { updateId, decoded } of batch) {
        if (Either.isLeft(decoded) && fresh.has(updateId)) {
          yield* Effect.logWarning(
            `inbox: update ${updateId} from ${connection} cannot be decoded and is dead-lettered: ${decoded.left.reason}`
          )
        }
      }
      if (Option.isSome(feed)) {
        const handed = batch.flatMap(({ updateId, update, decoded }) =>
          Either.isRight(decoded) && fresh.has(updateId) && reserved.has(inboxKey({ connection, updateId }))
            ? [{ connection, updateId, payload: update, events: decoded.right }]
            : []
        )
        const taken = new Set(handed.map(inboxKey))
        feed.value.release([...reserved].filter((key) => !taken.has(key)))
        yield* feed.value.publish(handed)
      }
      return batch.map(({ updateId, decoded }): Stored => ({
        updateId,
        isNew: fresh.has(updateId),
        status: Either.isLeft(decoded) ? "dead" : "pending",
        events: Either.getOrElse(decoded, () => [])
      }))
    })

    /** Stores one raw update; fails with `UpdateIdMissing` if it has no `update_id`. */
    const store = Effect.fn("Inbox.store")(function* (connection: ConnectionId, update: unknown) {
      if (updateIdOf(update) === undefined) return yield* Effect.fail(new UpdateIdMissing({ connection }))
      const [stored] = yield* storeAll(connection, [update])
      return stored!
    })

    return { store, storeAll } as const
  })
}) {}
