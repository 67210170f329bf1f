import { Context, Duration } from "effect"

/** How the PluginHost reads the journal and retries; tests shorten it with `Layer.succeed(PluginHostConfig, {...})`. */
export class PluginHostConfig extends Context.Reference<PluginHostConfig>()("app/PluginHostConfig", {
  defaultValue: () => ({
    /** Looks for new journal rows this often even without a notification. */
    pollInterval: Duration.millis(500),
    /**
     * The cursor is saved at most this often: rows delivered since are also recorded per actor, so
     * a crash before a save redelivers nothing, it only reads those rows again.
     */
    cursorSaveInterval: Duration.millis(250),
    /**
     * After a read, the next waits this long at least: the journal's notifications (one per
     * commit of actors' steps, many a second under load) are taken together, each read then
     * bringing more rows.
     */
    readGap: Duration.millis(20),
    /** Journal rows read at once. */
    batch: 200,
    /** Rows read and not yet settled, per plugin, before reading waits. */
    maxInFlight: 1000,
    /** Actors whose events one plugin handles at the same time. */
    concurrency: 32,
    /** How long one delivery (all its handlers) may take before it counts as failed. */
    handlerTimeout: Duration.seconds(10),
    /** Attempts of one delivery before it is dead-lettered. */
    maxAttempts: 5,
    /** Back-off between attempts: doubles from `initialBackoff` up to `maxBackoff`. */
    initialBackoff: Duration.seconds(1),
    maxBackoff: Duration.minutes(5)
  })
}) {}

/** The wait after the `attempts`-th failed attempt. */
export const backoffAfter = (config: PluginHostConfig["Type"], attempts: number): number =>
  Math.min(
    Duration.toMillis(config.initialBackoff) * 2 ** Math.max(0, attempts - 1),
    Duration.toMillis(config.maxBackoff)
  )
