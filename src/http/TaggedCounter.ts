import { Metric, type Effect } from "effect"

/**
 * Increments of `counter` by label values, each tagged counter made once and kept: tagging a
 * metric anew on every increment costs a key to build and hash on the hot paths that count.
 */
export const taggedIncrements = <Labels extends ReadonlyArray<string>>(
  counter: Metric.Metric.Counter<number>,
  ...labels: Labels
) => {
  const made = new Map<string, Effect.Effect<void>>()
  return (...values: { readonly [K in keyof Labels]: string }): Effect.Effect<void> => {
    const key = values.join("\u0000")
    let increment = made.get(key)
    if (increment === undefined) {
      const tagged = labels.reduce<Metric.Metric.Counter<number>>(
        (metric, label, i) => Metric.tagged(metric, label, values[i]!),
        counter
      )
      increment = Metric.increment(tagged)
      made.set(key, increment)
    }
    return increment
  }
}
