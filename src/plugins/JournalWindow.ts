import { Deferred, Effect, FiberId } from "effect"

/** A place in the journal (see `PluginJournal.Position`). */
interface Place {
  readonly txid: string
  readonly seq: number
}

const compare = (a: Place, b: Place): number => {
  if (a.txid !== b.txid) {
    const [ta, tb] = [BigInt(a.txid), BigInt(b.txid)]
    return ta < tb ? -1 : 1
  }
  return a.seq - b.seq
}

/**
 * The journal's newest rows, shared by everything that reads it in order (each plugin's consumer,
 * the webhook reader), so that one database read serves them all. The window holds every row after
 * `start` up to its last row with no gap: a read only ever answers rows below the oldest
 * transaction running in the database (`commit_horizon()`), so no row can later appear between two
 * rows it answered. A reader asking from inside the window is answered from memory; one at its end
 * waits for the next database read, which starts after it asked (so it sees everything committed
 * before), and which all readers waiting at that moment share. A reader behind the window reads
 * the database on its own.
 */
export const journalWindow = <Row extends Place, E, R>(options: {
  /** Reads up to `limit` rows after `after`, oldest first, below `commit_horizon()`. */
  readonly fetch: (after: Place, limit: number) => Effect.Effect<ReadonlyArray<Row>, E, R>
  /** Rows kept in memory at most. */
  readonly capacity: number
  /** Rows one shared read takes. */
  readonly batch: number
}) => {
  let rows: Array<Row> = []
  /** Where the window begins: its rows are those after this place; `undefined` until the first read. */
  let start: Place | undefined
  let running = false
  let next: Deferred.Deferred<void, E> | undefined

  const end = (): Place | undefined => rows.at(-1) ?? start

  /** Index of the first row after `after`, or -1 if `after` is outside the window. */
  const indexAfter = (after: Place): number => {
    if (start === undefined || compare(after, start) < 0) return -1
    const last = end()!
    if (compare(after, last) > 0) return -1
    let [low, high] = [0, rows.length]
    while (low < high) {
      const middle = (low + high) >>> 1
      if (compare(rows[middle]!, after) <= 0) low = middle + 1
      else high = middle
    }
    return low
  }

  /** Reads the rows after the window's end (after `from` for an empty window) and appends them. */
  const extend = (from: Place): Effect.Effect<void, E, R> =>
    Effect.gen(function* () {
      const after = end() ?? from
      const found = yield* options.fetch(after, options.batch)
      if (start === undefined) start = after
      rows.push(...found)
      if (rows.length > options.capacity) {
        const dropped = rows.length - options.capacity
        start = rows[dropped - 1]!
        rows = rows.slice(dropped)
      }
    })

  /** Runs the reads asked for, one after another, each shared by whoever asked before it began. */
  const drive = (from: Place): Effect.Effect<void, never, R> =>
    Effect.gen(function* () {
      for (;;) {
        const waiting = next
        if (waiting === undefined) {
          running = false
          return
        }
        next = undefined
        const exit = yield* Effect.exit(extend(from))
        yield* Deferred.done(waiting, exit)
      }
    })

  /** Waits for a database read that begins after this call. */
  const refresh = (from: Place): Effect.Effect<void, E, R> =>
    Effect.gen(function* () {
      // Made synchronously: every caller until the read begins shares this one.
      const waiting = next ?? (next = Deferred.unsafeMake<void, E>(FiberId.none))
      if (!running) {
        running = true
        yield* Effect.forkDaemon(drive(from))
      }
      yield* Deferred.await(waiting)
    })

  /** Up to `limit` rows after `after`, oldest first, as `fetch` would answer them. */
  const read = (after: Place, limit: number): Effect.Effect<ReadonlyArray<Row>, E, R> =>
    Effect.gen(function* () {
      const at = indexAfter(after)
      if (at >= 0 && at < rows.length) return rows.slice(at, at + limit)
      if (at < 0 && start !== undefined) {
        // Behind the window (a reader catching up): its own read, unshared.
        const last = end()!
        if (compare(after, last) < 0) return yield* options.fetch(after, limit)
      }
      yield* refresh(after)
      const now = indexAfter(after)
      if (now >= 0) return rows.slice(now, now + limit)
      return yield* options.fetch(after, limit)
    })

  return { read } as const
}
