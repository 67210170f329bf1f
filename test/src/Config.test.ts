import { inspect } from "node:util"
import { ConfigProvider, Effect, LogLevel, Option, Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { rateLimitsFor } from "../../src/cli/Start.ts"
import { describeConfigError, settings } from "../../src/Config.ts"
import { telegramLimits } from "../../src/telegram/RateLimiter.ts"
import { runBackline } from "../support/Backline.ts"

const decode = (env: Record<string, string>) =>
  Effect.runSync(
    settings.pipe(
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
      Effect.mapError(describeConfigError),
      Effect.either
    )
  )

const token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"

describe("configuration", () => {
  it("runs on defaults with nothing set", () => {
    const result = decode({})
    expect(result._tag).toBe("Right")
    if (result._tag !== "Right") return
    const config = result.right
    expect(config.telegramApiRoot).toBe("https://api.telegram.org")
    expect(config.httpHost).toBe("127.0.0.1")
    expect(config.httpPort).toBe(8080)
    expect(config.dataDir).toBe(`${process.cwd()}/.backline`)
    expect(config.pluginsFile).toBe(`${process.cwd()}/plugins.json`)
    expect(config.logLevel).toBe(LogLevel.Info)
    expect(config.logFormat).toBe("pretty")
    expect(config.telegramRateLimits).toBe("telegram")
    expect(Option.isNone(config.botToken)).toBe(true)
    expect(Option.isNone(config.databaseUrl)).toBe(true)
  })

  it("decodes every variable, keeping secrets redacted", () => {
    const result = decode({
      BOT_TOKEN: token,
      TELEGRAM_API_ROOT: "http://127.0.0.1:9000/",
      BACKEND_GROUP_ID: "-1001234567890",
      DATABASE_URL: "postgres://backline:hunter2@db:5432/backline",
      BACKLINE_DATA_DIR: "/var/lib/backline",
      PLUGINS_FILE: "/etc/backline/plugins.json",
      HTTP_HOST: "0.0.0.0",
      HTTP_PORT: "9090",
      PUBLIC_URL: "https://backline.example.com",
      BACKLINE_SECRET_KEY: "k".repeat(64),
      LOG_LEVEL: "DEBUG",
      LOG_FORMAT: "json"
    })
    if (result._tag !== "Right") throw new Error(result.left)
    const config = result.right
    expect(Option.map(config.botToken, Redacted.value)).toEqual(Option.some(token))
    for (const shown of [inspect(config, { depth: 5 }), JSON.stringify(config)]) {
      expect(shown).not.toContain(token)
      expect(shown).not.toContain("hunter2")
      expect(shown).not.toContain("k".repeat(64))
      expect(shown).toContain("<redacted>")
    }
    expect(config.telegramApiRoot).toBe("http://127.0.0.1:9000")
    expect(config.backendGroupId).toEqual(Option.some(-1001234567890))
    expect(config.dataDir).toBe("/var/lib/backline")
    expect(config.pluginsFile).toBe("/etc/backline/plugins.json")
    expect(config.httpPort).toBe(9090)
    expect(config.logLevel).toBe(LogLevel.Debug)
    expect(config.logFormat).toBe("json")
  })

  it("treats an empty value as unset", () => {
    const result = decode({ BOT_TOKEN: "", HTTP_PORT: " " })
    expect(result._tag === "Right" && Option.isNone(result.right.botToken)).toBe(true)
    expect(result._tag === "Right" && result.right.httpPort).toBe(8080)
  })

  it("TELEGRAM_RATE_LIMITS keeps Telegram's limits, turns them off, or scales them for the Sender", () => {
    const limitsOf = (value: string) => {
      const result = decode({ TELEGRAM_RATE_LIMITS: value })
      if (result._tag !== "Right") throw new Error(result.left)
      return rateLimitsFor(result.right.telegramRateLimits)
    }
    expect(limitsOf("telegram")).toEqual(telegramLimits)
    expect(limitsOf("")).toEqual(telegramLimits)
    expect(limitsOf("OFF")).toEqual({ ...telegramLimits, enabled: false })
    expect(limitsOf("0.1")).toEqual({ ...telegramLimits, timeScale: 0.1 })
    expect(limitsOf("2")).toEqual({ ...telegramLimits, timeScale: 2 })
    expect(limitsOf(".05").timeScale).toBe(0.05)
  })

  const invalid: ReadonlyArray<readonly [Record<string, string>, string]> = [
    [{ BOT_TOKEN: "not-a-token" }, "BOT_TOKEN: expected a bot token from @BotFather"],
    [
      { TELEGRAM_API_ROOT: "ftp://example.com" },
      'TELEGRAM_API_ROOT: expected an http(s) URL such as https://api.telegram.org, got protocol "ftp:"'
    ],
    [
      { TELEGRAM_API_ROOT: "nowhere" },
      'TELEGRAM_API_ROOT: expected an http(s) URL such as https://api.telegram.org, got "nowhere"'
    ],
    [
      { BACKEND_GROUP_ID: "12345" },
      'BACKEND_GROUP_ID: expected a group chat id, a negative integer such as -1001234567890, got "12345"'
    ],
    [
      { DATABASE_URL: "mysql://root@db/app" },
      'DATABASE_URL: expected postgres://user:password@host:5432/database, got protocol "mysql:"'
    ],
    [
      { HTTP_HOST: "my host" },
      'HTTP_HOST: expected a host name or IP address such as 127.0.0.1 or 0.0.0.0, got "my host"'
    ],
    [
      { HTTP_PORT: "eighty" },
      'HTTP_PORT: expected a port number from 0 to 65535 (0 picks a free port), got "eighty"'
    ],
    [
      { HTTP_PORT: "70000" },
      'HTTP_PORT: expected a port number from 0 to 65535 (0 picks a free port), got "70000"'
    ],
    [
      { PUBLIC_URL: "backline.example.com" },
      'PUBLIC_URL: expected an http(s) URL such as https://backline.example.com, got "backline.example.com"'
    ],
    [
      { BACKLINE_SECRET_KEY: "short" },
      "BACKLINE_SECRET_KEY: expected at least 32 characters (got 5); generate one with: openssl rand -hex 32"
    ],
    [
      { LOG_LEVEL: "loud" },
      'LOG_LEVEL: expected one of trace, debug, info, warning, error, fatal, none, got "loud"'
    ],
    [{ LOG_FORMAT: "xml" }, 'LOG_FORMAT: expected pretty or json, got "xml"'],
    ...["fast", "0", "-1", "1/10", "Infinity", "0x1"].map(
      (value) =>
        [
          { TELEGRAM_RATE_LIMITS: value },
          `TELEGRAM_RATE_LIMITS: expected telegram, off, or a positive time scale such as 0.1 (every limit ten times faster), got "${value}"`
        ] as const
    )
  ]

  it.each(invalid)("rejects %j", (env, message) => {
    const result = decode(env)
    expect(result._tag).toBe("Left")
    expect(result._tag === "Left" && result.left).toContain(message)
  })

  it("never repeats a secret in an error", () => {
    const result = decode({ BOT_TOKEN: "hunter2-secret", DATABASE_URL: "http://user:hunter2@db" })
    expect(result._tag === "Left" && result.left).not.toContain("hunter2")
  })

  // Through the real CLI for a sample of them (each is a process start); the rest share the path.
  it.concurrent.each([invalid[0]!, invalid[6]!, invalid[10]!])(
    "backline start stops with one line for %j",
    async (env, message) => {
      const { code, stdout, stderr } = await runBackline(["start"], env)
      expect(code).toBe(1)
      expect(stdout).toBe("")
      expect(stderr.trimEnd().split("\n")).toEqual([
        expect.stringContaining(`backline: invalid configuration: ${message}`)
      ])
      expect(stderr).not.toMatch(/\bat .*\.ts:\d+/) // no stack trace
    }
  )

  it("reports every invalid variable in the same line", async () => {
    const { code, stderr } = await runBackline(["start"], { HTTP_PORT: "x", LOG_FORMAT: "xml" })
    expect(code).toBe(1)
    expect(stderr.trimEnd().split("\n")).toHaveLength(1)
    expect(stderr).toContain("HTTP_PORT:")
    expect(stderr).toContain("LOG_FORMAT:")
  })
})
