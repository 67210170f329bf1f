import { Effect, Layer, Logger } from "effect"
import { AppConfig } from "./Config.ts"

/**
 * Structured logging: the pretty logger by default, one JSON object per line with
 * `LOG_FORMAT=json`, lines below `LOG_LEVEL` dropped. Secrets are `Redacted` in the
 * configuration, so they print as `<redacted>` wherever they end up in a log line.
 */
export const LoggingLive = Layer.unwrapEffect(
  Effect.map(AppConfig, ({ logFormat, logLevel }) =>
    Layer.merge(
      Logger.replace(
        Logger.defaultLogger,
        logFormat === "json" ? Logger.withConsoleLog(Logger.jsonLogger) : Logger.prettyLogger()
      ),
      Logger.minimumLogLevel(logLevel)
    )
  )
)
