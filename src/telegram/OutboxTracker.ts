import { comesBefore, type OutboxPosition, type OutboxRow } from "./Outbox.ts"

/**
 * What the Sender knows of outbox rows, so that each pending row gets into a lane once although
 * it can reach the Sender twice: read from the table, and handed over in memory by the commit
 * that wrote it (`OutboxFeed`). Rows come from three places that can overlap:
 * - table reads, whose snapshot may still show a row pending that was sent meanwhile;
 * - hand-overs, which can come late, after a table read found the row and it was sent;
 * - both, for a row in a lane.
 * A row is therefore remembered while it is in a lane (`held`), and once settled for as long as a
 * table read that began before that is running, and at least `settledFor` ms.
 */
export const outboxTracker = (options: { readonly settledFor: number; readonly now: () => number }) => {
  /** Pending rows in lanes, by id. */
  const held = new Set<number>()
  /** Settled rows still remembered, by id, with the number of the latest read begun when they were. */
  const settled = new Map<number, number>()
  /** The same, oldest first, with when: forgotten from the front. */
  const order: Array<{ readonly id: number; readonly read: number; readonly at: number }> = []
  let front = 0
  let reads = 0
  /** The last row read from the table in (txid, id) order: new rows are read after it. */
  let readAt: OutboxPosition = { txid: "0", id: 0 }

  return {
    /** Where the next read of new rows starts. */
    readAt: () => readAt,

    /**
     * Of these rows, the ones the Sender has not seen, now held. Rows read from the table move the
     * reading position past them; rows handed over do not, since rows of older transactions may
     * still commit before the next read.
     */
    admit: (rows: ReadonlyArray<OutboxRow>, read: boolean): Array<OutboxRow> =>
      rows.filter((row) => {
        if (held.has(row.id) || settled.has(row.id)) return false
        held.add(row.id)
        if (read && comesBefore(readAt, row)) readAt = { txid: row.txid, id: row.id }
        return true
      }),

    /** Whether the row is in a lane. */
    holds: (id: number) => held.has(id),

    /** A row no longer pending: sent or failed. */
    settle: (id: number) => {
      held.delete(id)
      settled.set(id, reads)
      order.push({ id, read: reads, at: options.now() })
    },

    /** A row let go without being settled (its lane stopped): the next read takes it again. */
    release: (id: number) => {
      held.delete(id)
    },

    /** A table read begins: answers its number, for `readEnded`. */
    readBegins: () => ++reads,

    /** A table read ended: settled rows no read still running may show are forgotten, once old enough. */
    readEnded: (number: number) => {
      const old = options.now() - options.settledFor
      while (front < order.length) {
        const first = order[front]!
        if (first.read >= number || first.at > old) break
        if (settled.get(first.id) === first.read) settled.delete(first.id)
        front += 1
      }
      if (front > 1024 && front * 2 > order.length) {
        order.splice(0, front)
        front = 0
      }
    }
  } as const
}
