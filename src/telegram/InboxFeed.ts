import { Effect } from "effect"
import type { DomainEvent } from "../domain/Events.ts"
import type { ConnectionId } from "../domain/Ids.ts"

/** A pending inbox row, with the events its update decodes to. */
export interface InboxItem {
  readonly connection: ConnectionId
  readonly updateId: number
  /** The raw update, as stored. */
  readonly payload: unknown
  readonly events: ReadonlyArray<DomainEvent>
}

/** The inbox key of a row: `<connection>/<update id>`. */
export const inboxKey = (row: { readonly connection: string; readonly updateId: number }) =>
  `${row.connection}/${row.updateId}`

/**
 * Hands inbox rows from the Gateway to the Router in memory, as soon as they are committed, so the
 * Router need not read them back and decode them again. The table stays the record: rows of an
 * earlier run, or written while no Router listened, are read from it. The feed also knows which
 * rows are in hand (reserved by the Gateway before their commit, handed over, or claimed from the
 * table, and not yet settled), so that each row is taken once, by one path, and a read of the
 * table never takes a row ahead of the rows handed over before it. Published rows wait, and so
 * does the Gateway acknowledging more, while `capacity` rows are in hand.
 */
export class InboxFeed extends Effect.Service<InboxFeed>()("app/InboxFeed", {
  sync: () => {
    const capacity = 10_000
    const queue: Array<InboxItem> = []
    /** Keys of the rows in hand. */
    const inHand = new Set<string>()
    let consumers = 0
    let scan = false
    let wakeConsumer: (() => void) | undefined
    const roomWaiters: Array<() => void> = []

    const wakeRoom = () => {
      if (inHand.size >= capacity && consumers > 0) return
      for (const waiter of roomWaiters.splice(0)) waiter()
    }

    /**
     * Before rows are committed to the inbox: of their keys, those now in hand (none while nobody
     * reads the feed), so that a read of the table does not take them between their commit and
     * their `publish`. Each is then published or released.
     */
    const reserve = (keys: ReadonlyArray<string>): ReadonlySet<string> => {
      const reserved = new Set<string>()
      if (consumers === 0) return reserved
      for (const key of keys) {
        if (inHand.has(key)) continue
        inHand.add(key)
        reserved.add(key)
      }
      return reserved
    }

    /**
     * Hands over rows just committed to the inbox, whose keys were reserved; with nobody reading
     * the feed (any more), they are let go and wait in the table. Waits while the feed is full.
     */
    const publish = (items: ReadonlyArray<InboxItem>): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (items.length === 0) return Effect.void
        if (consumers === 0) {
          release(items.map(inboxKey))
          return Effect.void
        }
        queue.push(...items)
        const wake = wakeConsumer
        wakeConsumer = undefined
        wake?.()
        if (inHand.size < capacity) return Effect.void
        return Effect.async<void>((resume) => {
          const waiter = () => resume(Effect.void)
          roomWaiters.push(waiter)
          return Effect.sync(() => {
            const at = roomWaiters.indexOf(waiter)
            if (at >= 0) roomWaiters.splice(at, 1)
          })
        })
      })

    /** Asks the reader to look at the table as well (rows stored without being handed over). */
    const poke = () => {
      scan = true
      const wake = wakeConsumer
      wakeConsumer = undefined
      wake?.()
    }

    const next = () => {
      const taken = { items: queue.splice(0), scan }
      scan = false
      return taken
    }

    /**
     * Every row handed over and not yet taken, and whether the table is to be read too; waits
     * until there is either.
     */
    const take: Effect.Effect<{ readonly items: ReadonlyArray<InboxItem>; readonly scan: boolean }> =
      Effect.async((resume) => {
        if (queue.length > 0 || scan) return resume(Effect.succeed(next()))
        wakeConsumer = () => resume(Effect.succeed(next()))
        return Effect.sync(() => (wakeConsumer = undefined))
      })

    /** Of these keys, read from the table, the ones not in hand: now in hand, the caller's to take. */
    const claim = (keys: ReadonlyArray<string>): ReadonlyArray<string> =>
      keys.filter((key) => {
        if (inHand.has(key)) return false
        inHand.add(key)
        return true
      })

    /** Rows settled (or left to the table): no longer in hand. */
    const release = (keys: Iterable<string>) => {
      for (const key of keys) inHand.delete(key)
      wakeRoom()
    }

    /** Reads the feed for the life of the scope (the Router does). */
    const attach = Effect.acquireRelease(
      Effect.sync(() => void (consumers += 1)),
      () =>
        Effect.sync(() => {
          consumers -= 1
          if (consumers > 0) return
          for (const item of queue.splice(0)) inHand.delete(inboxKey(item))
          wakeRoom()
        })
    )

    /** Whether a Router reads the feed: otherwise rows are announced on the `inbox` channel. */
    const reading = () => consumers > 0

    return { reserve, publish, poke, take, claim, release, attach, reading } as const
  }
}) {}
