import * as path from "node:path"
import { Config, ConfigError, Effect, Either, LogLevel, Option, Redacted } from "effect"

/** How log lines are written: human-readable or one JSON object per line. */
export type LogFormat = "pretty" | "json"

/**
 * Reads one environment variable; an empty value counts as unset, as it does in most `.env` files.
 * `parse` answers the value or the reason it is wrong (the reason never repeats a secret).
 */
const variable = <A>(name: string, parse: (raw: string) => Either.Either<A, string>) =>
  Config.option(Config.string(name)).pipe(
    Config.mapOrFail((raw) =>
      Option.match(
        Option.filter(raw, (value) => value.trim() !== ""),
        {
          onNone: () => Either.right(Option.none<A>()),
          onSome: (value) =>
            Either.mapBoth(parse(value.trim()), {
              onLeft: (reason) => ConfigError.InvalidData([name], reason),
              onRight: Option.some
            })
        }
      )
    )
  )

const withDefault = <A>(config: Config.Config<Option.Option<A>>, fallback: A) =>
  Config.map(
    config,
    Option.getOrElse(() => fallback)
  )

const httpUrl =
  (example: string) =>
  (raw: string): Either.Either<string, string> => {
    try {
      const url = new URL(raw)
      if (url.protocol !== "http:" && url.protocol !== "https:") {
        return Either.left(`expected an http(s) URL such as ${example}, got protocol "${url.protocol}"`)
      }
      return Either.right(raw.replace(/\/+$/, ""))
    } catch {
      return Either.left(`expected an http(s) URL such as ${example}, got "${raw}"`)
    }
  }

const botToken = (raw: string) =>
  /^\d+:[A-Za-z0-9_-]+$/.test(raw)
    ? Either.right(Redacted.make(raw))
    : Either.left("expected a bot token from @BotFather, shaped like 123456789:AAE… (the value is not shown)")

const groupId = (raw: string) =>
  /^-\d+$/.test(raw) && Number.isSafeInteger(Number(raw))
    ? Either.right(Number(raw))
    : Either.left(`expected a group chat id, a negative integer such as -1001234567890, got "${raw}"`)

const databaseUrl = (raw: string) => {
  try {
    const url = new URL(raw)
    return url.protocol === "postgres:" || url.protocol === "postgresql:"
      ? Either.right(Redacted.make(raw))
      : Either.left(`expected postgres://user:password@host:5432/database, got protocol "${url.protocol}"`)
  } catch {
    return Either.left("expected postgres://user:password@host:5432/database (the value is not shown)")
  }
}

const httpHost = (raw: string) =>
  /^[A-Za-z0-9.:[\]-]+$/.test(raw)
    ? Either.right(raw)
    : Either.left(`expected a host name or IP address such as 127.0.0.1 or 0.0.0.0, got "${raw}"`)

const httpPort = (raw: string) => {
  const port = Number(raw)
  return /^\d+$/.test(raw) && port <= 65535
    ? Either.right(port)
    : Either.left(`expected a port number from 0 to 65535 (0 picks a free port), got "${raw}"`)
}

const secretKey = (raw: string) =>
  raw.length >= 32
    ? Either.right(Redacted.make(raw))
    : Either.left(
        `expected at least 32 characters (got ${raw.length}); generate one with: openssl rand -hex 32`
      )

const logLevels: Record<string, LogLevel.LogLevel> = {
  all: LogLevel.All,
  trace: LogLevel.Trace,
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warn: LogLevel.Warning,
  warning: LogLevel.Warning,
  error: LogLevel.Error,
  fatal: LogLevel.Fatal,
  none: LogLevel.None
}

const logLevel = (raw: string) => {
  const level = logLevels[raw.toLowerCase()]
  return level === undefined
    ? Either.left(`expected one of trace, debug, info, warning, error, fatal, none, got "${raw}"`)
    : Either.right(level)
}

const logFormat = (raw: string): Either.Either<LogFormat, string> =>
  raw === "pretty" || raw === "json"
    ? Either.right(raw)
    : Either.left(`expected pretty or json, got "${raw}"`)

/**
 * How the Sender keeps Telegram's rate limits (`TELEGRAM_RATE_LIMITS`): `"telegram"` keeps
 * Telegram's figures, `"off"` keeps none (a local sandbox, benchmarks), and `{ timeScale }` runs
 * every limit at that scale, as `RateLimiterConfig.timeScale` does (0.1 = ten times faster).
 */
export type TelegramRateLimits = "telegram" | "off" | { readonly timeScale: number }

const telegramRateLimits = (raw: string): Either.Either<TelegramRateLimits, string> => {
  const lower = raw.toLowerCase()
  if (lower === "telegram" || lower === "off") return Either.right(lower)
  const scale = Number(raw)
  return /^\d*\.?\d+(?:e[-+]?\d+)?$/i.test(raw) && Number.isFinite(scale) && scale > 0
    ? Either.right({ timeScale: scale })
    : Either.left(
        `expected telegram, off, or a positive time scale such as 0.1 (every limit ten times faster), got "${raw}"`
      )
}

/** The public Bot API; any other root (such as the sandbox) makes grammY talk to that server. */
export const defaultTelegramApiRoot = "https://api.telegram.org"

/** Every setting Backline reads from the environment, decoded once at start-up. */
export const settings = Config.all({
  botToken: variable("BOT_TOKEN", botToken),
  telegramApiRoot: withDefault(
    variable("TELEGRAM_API_ROOT", httpUrl(defaultTelegramApiRoot)),
    defaultTelegramApiRoot
  ),
  telegramRateLimits: withDefault<TelegramRateLimits>(
    variable("TELEGRAM_RATE_LIMITS", telegramRateLimits),
    "telegram"
  ),
  backendGroupId: variable("BACKEND_GROUP_ID", groupId),
  databaseUrl: variable("DATABASE_URL", databaseUrl),
  dataDir: Config.map(
    withDefault(
      variable("BACKLINE_DATA_DIR", (raw) => Either.right(raw)),
      ".backline"
    ),
    (dir) => path.resolve(dir)
  ),
  pluginsFile: Config.map(
    withDefault(
      variable("PLUGINS_FILE", (raw) => Either.right(raw)),
      "plugins.json"
    ),
    (file) => path.resolve(file)
  ),
  httpHost: withDefault(variable("HTTP_HOST", httpHost), "127.0.0.1"),
  httpPort: withDefault(variable("HTTP_PORT", httpPort), 8080),
  publicUrl: variable("PUBLIC_URL", httpUrl("https://backline.example.com")),
  secretKey: variable("BACKLINE_SECRET_KEY", secretKey),
  logLevel: withDefault(variable("LOG_LEVEL", logLevel), LogLevel.Info),
  logFormat: withDefault<LogFormat>(variable("LOG_FORMAT", logFormat), "pretty")
})

export type Settings = Config.Config.Success<typeof settings>

/**
 * Backline's configuration. `AppConfig.Default` reads the environment; tests build one with
 * `Layer.succeed(AppConfig, AppConfig.make({...}))`.
 */
export class AppConfig extends Effect.Service<AppConfig>()("app/AppConfig", {
  effect: settings
}) {}

/**
 * One line for a configuration error: each variable with what is wrong with it, e.g.
 * `HTTP_PORT: expected a port number from 0 to 65535 (0 picks a free port), got "abc"`.
 */
export const describeConfigError = (error: ConfigError.ConfigError): string =>
  ConfigError.reduceWithContext(error, undefined, {
    andCase: (_, left: string, right: string) => `${left}; ${right}`,
    orCase: (_, left: string, right: string) => `${left}; ${right}`,
    invalidDataCase: (_, at, message) => `${at.join(".")}: ${message}`,
    missingDataCase: (_, at, message) => `${at.join(".")}: ${message}`,
    sourceUnavailableCase: (_, at, message) => `${at.join(".")}: ${message}`,
    unsupportedCase: (_, at, message) => `${at.join(".")}: ${message}`
  })
