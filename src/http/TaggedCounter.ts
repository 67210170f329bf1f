import { Metric, type Effect } from "effect"

/**
 * `counter` tagged with label values, each tagged counter made once and kept: tagging a metric
 * anew on every increment costs a key to build and hash on the hot paths that count. Add to one
 * with `Metric.incrementBy`, or synchronously with its `unsafeUpdate(n, [])`.
 */
export const taggedCounters = <Labels extends ReadonlyArray<string>>(
  counter: Metric.Metric.Counter<number>,
  ...labels: Labels
) => {
  const made = new Map<string, Metric.Metric.Counter<number>>()
  return (...values: { readonly [K in keyof Labels]: string }): Metric.Metric.Counter<number> => {
    const key = values.join("\u0000")
    let tagged = made.get(key)
    if (tagged === undefined) {
      tagged = labels.reduce<Metric.Metric.Counter<number>>(
        (metric, label, i) => Metric.tagged(metric, label, values[i]!),
        counter
      )
      made.set(key, tagged)
    }
    return tagged
  }
}

/** Increments of `counter` by label values (see `taggedCounters`), each increment made once and kept. */
export const taggedIncrements = <Labels extends ReadonlyArray<string>>(
  counter: Metric.Metric.Counter<number>,
  ...labels: Labels
) => {
  const counters = taggedCounters(counter, ...labels)
  const made = new Map<Metric.Metric.Counter<number>, Effect.Effect<void>>()
  return (...values: { readonly [K in keyof Labels]: string }): Effect.Effect<void> => {
    const tagged = counters(...values)
    let increment = made.get(tagged)
    if (increment === undefined) {
      increment = Metric.increment(tagged)
      made.set(tagged, increment)
    }
    return increment
  }
}
