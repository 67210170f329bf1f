import { Effect, Exit } from "effect"

interface Waiting<A> {
  readonly item: A
  readonly done: (exit: Exit.Exit<void>) => void
}

/**
 * Group commit: items submitted at about the same time are written together, by one `write` for
 * up to `max` of them, with `writers` writes running at once. Each submitter learns when its item
 * is written. Should a shared write fail, its items are written again one by one, so one bad item
 * fails alone (its submitter gets the failure). The writers stop when the scope closes.
 *
 * `submit` takes a callback, for callers outside any fiber; `write` is the same as an Effect.
 */
export const groupWriter = <A>(options: {
  readonly write: (items: ReadonlyArray<A>) => Effect.Effect<void>
  readonly max: number
  readonly writers: number
}) =>
  Effect.gen(function* () {
    const waiting: Array<Waiting<A>> = []
    /** Writers waiting for items, each to be woken once. */
    const idle: Array<() => void> = []

    const next = Effect.async<Array<Waiting<A>>>((resume) => {
      if (waiting.length > 0) return resume(Effect.succeed(waiting.splice(0, options.max)))
      const wake = () => resume(Effect.succeed(waiting.splice(0, options.max)))
      idle.push(wake)
      return Effect.sync(() => {
        const at = idle.indexOf(wake)
        if (at >= 0) idle.splice(at, 1)
      })
    })

    const writeAll = (batch: ReadonlyArray<Waiting<A>>): Effect.Effect<void> =>
      batch.length === 0
        ? Effect.void
        : Effect.flatMap(Effect.exit(options.write(batch.map((one) => one.item))), (exit) => {
            if (Exit.isSuccess(exit) || batch.length === 1) {
              for (const one of batch) one.done(exit)
              return Effect.void
            }
            return Effect.forEach(batch, (one) => writeAll([one]), { discard: true })
          })

    yield* next.pipe(
      Effect.flatMap(writeAll),
      Effect.forever,
      Effect.replicateEffect(options.writers, { concurrency: "unbounded", discard: true }),
      Effect.forkScoped
    )

    /** Writes `item` with whatever else is waiting; `done` is called once it is written (or failed). */
    const submit = (item: A, done: (exit: Exit.Exit<void>) => void) => {
      waiting.push({ item, done })
      idle.shift()?.()
    }

    /** Writes `item` with whatever else is waiting; answers once it is written. */
    const write = (item: A): Effect.Effect<void> => Effect.async((resume) => submit(item, resume))

    return { submit, write } as const
  })
