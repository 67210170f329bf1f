import { LogLevel, Option } from "effect"
import { AppConfig } from "../../src/Config.ts"

/** A configuration for in-process tests: defaults, an ephemeral port, no data folder. */
export const testConfig = (publicUrl: Option.Option<string>, httpPort = 0) =>
  AppConfig.make({
    botToken: Option.none(),
    telegramApiRoot: "https://api.telegram.org",
    telegramRateLimits: "telegram",
    backendGroupId: Option.none(),
    databaseUrl: Option.none(),
    dataDir: "/nonexistent",
    pluginsFile: "/nonexistent/plugins.json",
    httpHost: "127.0.0.1",
    httpPort,
    publicUrl,
    secretKey: Option.none(),
    logLevel: LogLevel.Info,
    logFormat: "pretty"
  })
