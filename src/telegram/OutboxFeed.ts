import { Effect } from "effect"
import type { OutboxRow } from "./Outbox.ts"

/**
 * Hands outbox rows from the actors' step commits to the Sender in memory, as soon as they are
 * committed, so the Sender need not read them back. The table stays the record: the Sender still
 * reads it for rows written elsewhere (plugins, the HTTP API), for rows of an earlier run, and on
 * its poll. Without a Sender reading the feed, nothing is kept and commits notify `outbox`.
 */
export class OutboxFeed extends Effect.Service<OutboxFeed>()("app/OutboxFeed", {
  sync: () => {
    let reader: ((rows: ReadonlyArray<OutboxRow>) => void) | undefined

    /** Hands over rows just committed (a no-op while nobody reads the feed). */
    const publish = (rows: ReadonlyArray<OutboxRow>) => {
      if (rows.length > 0) reader?.(rows)
    }

    /** Whether a Sender reads the feed. */
    const reading = () => reader !== undefined

    /** Gives the feed's rows to `read` for the life of the scope (the Sender does). */
    const attach = (read: (rows: ReadonlyArray<OutboxRow>) => void) =>
      Effect.acquireRelease(
        Effect.sync(() => void (reader = read)),
        () => Effect.sync(() => void (reader === read ? (reader = undefined) : undefined))
      )

    return { publish, reading, attach } as const
  }
}) {}
