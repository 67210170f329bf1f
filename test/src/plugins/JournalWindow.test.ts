import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { journalWindow } from "../../../src/plugins/JournalWindow.ts"

interface Row {
  readonly txid: string
  readonly seq: number
}

/** A journal in memory: rows in (txid, seq) order, and the reads made of it. */
const journal = () => {
  const committed: Array<Row> = []
  const reads: Array<Row> = []
  const after = (a: Row, b: Row) => BigInt(a.txid) > BigInt(b.txid) || (a.txid === b.txid && a.seq > b.seq)
  const fetch = (from: Row, limit: number) =>
    Effect.sync(() => {
      reads.push(from)
      return committed.filter((row) => after(row, from)).slice(0, limit)
    }).pipe(Effect.delay("5 millis"))
  let seq = 0
  const append = (count: number, txid = "100") => {
    for (let i = 0; i < count; i++) committed.push({ txid, seq: ++seq })
  }
  return { committed, reads, fetch, append }
}

const start: Row = { txid: "0", seq: 0 }

/** A window of at most `capacity` rows over a journal of `rows` rows, read once to its end. */
const filled = (capacity: number, rows: number) =>
  Effect.gen(function* () {
    const db = journal()
    const window = journalWindow({ fetch: db.fetch, capacity, batch: 50 })
    db.append(rows)
    yield* window.read(start, 50)
    return { db, window, reads: db.reads.length }
  })

describe("journalWindow", () => {
  it.live("readers at the window's end share one database read, and see the same rows", () =>
    Effect.gen(function* () {
      const db = journal()
      const window = journalWindow({ fetch: db.fetch, capacity: 100, batch: 50 })
      db.append(10)
      const answers = yield* Effect.all(
        Array.from({ length: 7 }, () => window.read(start, 50)),
        { concurrency: "unbounded" }
      )
      for (const rows of answers) expect(rows).toEqual(db.committed)
      // Alone, each would have read: 7. Readers that ask while a read runs share the next one.
      expect(db.reads.length).toBeLessThanOrEqual(2)
    })
  )

  it.live("a reader inside the window is answered from memory, in order, as far as it asks", () =>
    Effect.gen(function* () {
      const { db, window, reads } = yield* filled(100, 10)
      expect(yield* window.read(db.committed[3]!, 4)).toEqual(db.committed.slice(4, 8))
      expect(yield* window.read(db.committed[7]!, 50)).toEqual(db.committed.slice(8))
      expect(db.reads).toHaveLength(reads)
    })
  )

  it.live("a reader at the end waits for a read that begins after it asked, so it sees new rows", () =>
    Effect.gen(function* () {
      const db = journal()
      const window = journalWindow({ fetch: db.fetch, capacity: 100, batch: 50 })
      db.append(3)
      const first = yield* window.read(start, 50)
      db.append(2, "101")
      expect(yield* window.read(first.at(-1)!, 50)).toEqual(db.committed.slice(3))
    })
  )

  it.live("keeps at most `capacity` rows; a reader behind them reads the database on its own", () =>
    Effect.gen(function* () {
      const { db, window, reads } = yield* filled(5, 12)
      expect(yield* window.read(db.committed[1]!, 3)).toEqual(db.committed.slice(2, 5))
      expect(db.reads).toEqual([...db.reads.slice(0, reads), db.committed[1]])
      expect(yield* window.read(db.committed[8]!, 50)).toEqual(db.committed.slice(9))
      expect(db.reads).toHaveLength(reads + 1)
    })
  )
})
