import { Chunk, Deferred, Effect, Exit, FiberId, Queue } from "effect"

interface Waiting<A> {
  readonly item: A
  readonly done: Deferred.Deferred<void>
}

/**
 * Group commit: items submitted at about the same time are written together, by one `write` for
 * up to `max` of them, with `writers` writes running at once. Each submitter waits until its item
 * is written. Should a shared write fail, its items are written again one by one, so one bad item
 * fails alone (its submitter dies with the failure). The writers stop when the scope closes.
 */
export const groupWriter = <A>(options: {
  readonly write: (items: ReadonlyArray<A>) => Effect.Effect<void>
  readonly max: number
  readonly writers: number
}) =>
  Effect.gen(function* () {
    const queue = yield* Effect.acquireRelease(Queue.unbounded<Waiting<A>>(), Queue.shutdown)
    const writeAll = (batch: ReadonlyArray<Waiting<A>>): Effect.Effect<void> =>
      Effect.exit(options.write(batch.map((waiting) => waiting.item))).pipe(
        Effect.flatMap((exit) =>
          Exit.isSuccess(exit)
            ? Effect.forEach(batch, (waiting) => Deferred.succeed(waiting.done, undefined), { discard: true })
            : batch.length === 1
              ? Deferred.failCause(batch[0]!.done, exit.cause)
              : Effect.forEach(batch, (waiting) => writeAll([waiting]), { discard: true })
        )
      )
    yield* Queue.takeBetween(queue, 1, options.max).pipe(
      Effect.flatMap((batch) => writeAll(Chunk.toReadonlyArray(batch))),
      Effect.forever,
      Effect.replicateEffect(options.writers, { concurrency: "unbounded", discard: true }),
      Effect.forkScoped
    )
    /** Writes `item` with whatever else is waiting; answers once it is written. */
    return (item: A): Effect.Effect<void> =>
      Effect.suspend(() => {
        const done = Deferred.unsafeMake<void>(FiberId.none)
        return Effect.zipRight(Queue.offer(queue, { item, done }), Deferred.await(done))
      })
  })
