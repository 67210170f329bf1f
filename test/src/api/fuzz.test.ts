import SwaggerParser from "@apidevtools/swagger-parser"
import { HttpServer } from "@effect/platform"
import { SqlClient } from "@effect/sql"
import { layer } from "@effect/vitest"
import { Arbitrary, ConfigProvider, Effect, Layer, Logger, LogLevel, Option, Redacted } from "effect"
import fc from "fast-check"
import { expect } from "vitest"
import { MessageBody } from "../../../src/api/Api.ts"
import { ApiRoutes } from "../../../src/api/ApiRoutes.ts"
import { ApiRateLimiter } from "../../../src/api/Auth.ts"
import { Tokens } from "../../../src/api/Tokens.ts"
import { AppConfig } from "../../../src/Config.ts"
import { displayUrl, HttpLive } from "../../../src/http/Http.ts"
import { MigrationState, runMigrations } from "../../../src/sql/Migrations.ts"
import { TestDatabaseLive } from "../../support/Database.ts"
import { testConfig } from "../../support/Config.ts"

// Read by the API's layers when they are built: a limit the fuzzing does not hit, and no waiting
// for Telegram (this server has no Sender: a valid message answers 202, queued).
process.env["API_RATE_LIMIT"] = "50"
process.env["API_SEND_WAIT"] = "0"

const logLines: Array<string> = []
const CollectLogs = Layer.mergeAll(
  Logger.replace(
    Logger.defaultLogger,
    Logger.jsonLogger.pipe(Logger.map((line) => void logLines.push(line)))
  ),
  Logger.minimumLogLevel(LogLevel.Debug)
)

const Live = HttpLive.pipe(
  Layer.provide(ApiRoutes),
  Layer.provideMerge(Tokens.Default),
  Layer.provideMerge(
    Layer.mergeAll(
      TestDatabaseLive,
      MigrationState.Default,
      Layer.succeed(AppConfig, testConfig(Option.none()))
    )
  ),
  Layer.provide(CollectLogs)
)

const GROUP = -1002000000001
const OTHER = -1002000000002

interface Case {
  readonly method: string
  readonly path: string
  readonly headers: Record<string, string>
  readonly body: string | Uint8Array | undefined
}

// Pieces of requests: hostile strings, numbers, path segments, tokens, bodies.
const hostile = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    "",
    " ",
    "..",
    "%00",
    "%2F..%2F",
    "null",
    "NaN",
    "Infinity",
    "-0",
    "1e309",
    "0x10",
    "💥",
    "'; drop table api_token; --"
  ),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.integer().map(String),
  fc.double().map(String)
)
const segment = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(String(GROUP), String(OTHER)) },
  { weight: 2, arbitrary: hostile.map((text) => encodeURIComponent(text)) },
  {
    weight: 1,
    arbitrary: fc.string({ minLength: 200, maxLength: 400 }).map((text) => encodeURIComponent(text))
  }
)
const topic = fc.oneof(
  fc.constantFrom("Alerts", "2", "1", "General"),
  hostile.map((text) => encodeURIComponent(text))
)
const connection = fc.oneof(
  fc.constantFrom("bot:7000000001", "account:1"),
  hostile.map((text) => encodeURIComponent(text))
)

const endpoints = fc.oneof(
  fc.record({ method: fc.constant("GET"), path: segment.map((g) => `/api/v1/groups/${g}/topics`) }),
  fc.record({ method: fc.constant("POST"), path: segment.map((g) => `/api/v1/groups/${g}/topics`) }),
  fc.record({
    method: fc.constant("GET"),
    path: fc.tuple(segment, topic).map(([g, t]) => `/api/v1/groups/${g}/topics/${t}`)
  }),
  fc.record({
    method: fc.constant("PATCH"),
    path: fc.tuple(segment, topic).map(([g, t]) => `/api/v1/groups/${g}/topics/${t}`)
  }),
  fc.record({
    method: fc.constant("POST"),
    path: fc
      .tuple(
        segment,
        topic,
        fc.constantFrom("", "?create=true", "?create=yes", "?create=true&create=false", "?%ZZ")
      )
      .map(([g, t, q]) => `/api/v1/groups/${g}/topics/${t}/messages${q}`)
  }),
  fc.record({
    method: fc.constant("POST"),
    path: fc.tuple(connection, segment).map(([c, u]) => `/api/v1/dialogs/${c}/${u}/messages`)
  }),
  fc.record({
    method: fc.constant("POST"),
    path: fc
      .oneof(fc.constantFrom("payments", "a", "x".repeat(64)), hostile.map(encodeURIComponent))
      .map((s) => `/api/v1/events/${s}`)
  }),
  fc.record({ method: fc.constant("GET"), path: segment.map((g) => `/api/v1/groups/${g}/calendar.ics`) }),
  // Methods and paths no endpoint has.
  fc.record({
    method: fc.constantFrom("DELETE", "PUT", "OPTIONS", "GET", "POST"),
    path: hostile.map((text) => `/api/${encodeURIComponent(text)}`)
  })
)

const messageBody = Arbitrary.make(MessageBody)
const body = fc.oneof(
  { weight: 4, arbitrary: messageBody.map((value) => JSON.stringify(value)) },
  { weight: 3, arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)) },
  {
    weight: 2,
    arbitrary: fc
      .record(
        {
          text: fc.oneof(
            fc.string(),
            fc.integer(),
            fc.constant(null),
            fc.string({ minLength: 4097, maxLength: 5000 })
          ),
          parse_mode: fc.oneof(fc.constantFrom("HTML", "html", "MarkdownV2"), fc.string()),
          buttons: fc.jsonValue(),
          attachments: fc.jsonValue(),
          silent: fc.jsonValue(),
          name: fc.oneof(fc.string(), fc.string({ minLength: 129, maxLength: 200 })),
          closed: fc.jsonValue()
        },
        { requiredKeys: [] }
      )
      .map((value) => JSON.stringify(value))
  },
  { weight: 2, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.constant(undefined) }
)

const runCase = (url: string, one: Case) =>
  fetch(`${url}${one.path}`, {
    method: one.method,
    headers: one.headers,
    ...(one.body === undefined || one.method === "GET" ? {} : { body: one.body })
  }).then(async (response) => ({
    one,
    status: response.status,
    type: response.headers.get("content-type") ?? "",
    requestId: response.headers.get("x-request-id"),
    retryAfter: response.headers.get("retry-after"),
    text: await response.text()
  }))

layer(Live, { timeout: 240_000 })(
  "HTTP API under hostile input (in-process server, real PostgreSQL)",
  (it) => {
    it.effect(
      "10,000 generated requests across every endpoint: no 5xx, every 4xx a JSON error, a request id on each; no secret in the logs",
      () =>
        Effect.gen(function* () {
          yield* runMigrations()
          const sql = yield* SqlClient.SqlClient
          yield* sql`insert into connection (id, token, api_root, backend_group_id)
          values ('bot:7000000001', 'x', 'http://127.0.0.1:9', ${GROUP})`
          const tokens = yield* Tokens
          const make = (
            scopes: Array<
              "topics:read" | "topics:write" | "dialogs:write" | "events:write" | "calendar:read"
            >,
            group = GROUP
          ) => tokens.create({ name: "fuzz", group, scopes, createdBy: "cli" })
          const all = yield* make([
            "topics:read",
            "topics:write",
            "dialogs:write",
            "events:write",
            "calendar:read"
          ])
          const readOnly = yield* make(["topics:read"])
          const other = yield* make(["topics:write", "events:write"], OTHER)
          const revoked = yield* make(["topics:write"])
          yield* tokens.revoke(revoked.token.id)
          const secrets = [all, readOnly, other, revoked].map((made) => Redacted.value(made.secret))
          const auth = fc.oneof(
            {
              weight: 6,
              arbitrary: fc.constantFrom(...secrets).map((secret) => ({ authorization: `Bearer ${secret}` }))
            },
            {
              weight: 2,
              arbitrary: fc
                .oneof(
                  hostile,
                  fc.constantFrom(
                    "Bearer",
                    "Bearer ",
                    "Basic abc",
                    `bearer ${secrets[0]}`,
                    `Bearer ${secrets[0]}x`
                  )
                )
                .map((value) => ({ authorization: value.replace(/[^\t\x20-\x7e]/g, "") }))
            },
            { weight: 1, arbitrary: fc.constant({}) }
          )
          const cases = fc
            .sample(
              fc.record({
                endpoint: endpoints,
                auth,
                body,
                type: fc.constantFrom(
                  "application/json",
                  "application/json",
                  "text/plain",
                  "multipart/form-data",
                  "application/x-www-form-urlencoded",
                  ""
                ),
                key: fc.option(fc.string({ maxLength: 300 }).map((text) => text.replace(/[^\x20-\x7e]/g, "")))
              }),
              { numRuns: Number(process.env["FUZZ_RUNS"] ?? 10_000), seed: 20261126 }
            )
            .map(({ endpoint, auth: headers, body: payload, type, key }): Case => ({
              method: endpoint.method,
              path: endpoint.path,
              headers: {
                ...headers,
                ...(type === "" ? {} : { "content-type": type }),
                ...(key === null ? {} : { "idempotency-key": key })
              },
              body: payload
            }))
          // A few bodies over the 1 MB limit.
          const huge = "x".repeat(1024 * 1024 + 10)
          cases.push(
            {
              method: "POST",
              path: "/api/v1/events/big",
              headers: { authorization: `Bearer ${secrets[0]}`, "content-type": "application/json" },
              body: `"${huge}"`
            },
            {
              method: "POST",
              path: `/api/v1/groups/${GROUP}/topics/Alerts/messages`,
              headers: { authorization: `Bearer ${secrets[0]}` },
              body: huge
            }
          )
          const url = displayUrl((yield* HttpServer.HttpServer).address)
          const started = Date.now()
          const results = yield* Effect.promise(async () => {
            const out: Array<Awaited<ReturnType<typeof runCase>>> = []
            let next = 0
            const worker = async () => {
              while (next < cases.length) {
                const one = cases[next++]!
                out.push(await runCase(url, one))
              }
            }
            await Promise.all(Array.from({ length: 16 }, worker))
            return out
          })
          const seconds = (Date.now() - started) / 1000
          expect(results.length).toBeGreaterThanOrEqual(Number(process.env["FUZZ_RUNS"] ?? 10_000))
          const serverErrors = results.filter((result) => result.status >= 500)
          if (serverErrors.length > 0)
            console.log(logLines.filter((line) => line.includes("request failed")).slice(0, 2))
          expect(
            serverErrors.map(
              (result) => `${result.status} ${result.one.method} ${result.one.path} ${result.text}`
            )
          ).toEqual([])
          // (a path such as /api/.. is normalised by fetch to one outside the API)
          const inApi = (path: string) => new URL(path, url).pathname.startsWith("/api/")
          expect(
            results
              .filter((result) => inApi(result.one.path) && result.requestId === null)
              .map((result) => result.one.path)
          ).toEqual([])
          for (const result of results) {
            if (result.status >= 400) {
              expect(result.type, `${result.status} ${result.one.path}`).toMatch(/application\/json/)
              const parsed = JSON.parse(result.text) as { error?: unknown }
              expect(typeof parsed.error, result.text).toBe("string")
            }
            if (result.status === 429) expect(Number(result.retryAfter)).toBeGreaterThan(0)
          }
          const statuses = new Map<number, number>()
          for (const result of results) statuses.set(result.status, (statuses.get(result.status) ?? 0) + 1)
          // The generated requests reach every kind of answer, not only the first check.
          for (const status of [200, 202, 400, 401, 403, 404, 413, 415])
            expect(statuses.get(status) ?? 0, `status ${status}`).toBeGreaterThan(0)
          console.log(
            `fuzz: ${results.length} requests in ${seconds.toFixed(1)} s`,
            Object.fromEntries(statuses)
          )

          // The secrets (and their hashes' sources) never reach a log line, even at debug level.
          expect(logLines.length).toBeGreaterThan(0)
          for (const secret of secrets) expect(logLines.filter((line) => line.includes(secret))).toEqual([])
          expect(logLines.filter((line) => line.includes("bkl_"))).toEqual([])
        }),
      { timeout: 240_000 }
    )

    it.effect("over the rate limit a token is answered 429 with Retry-After", () =>
      Effect.gen(function* () {
        const made = yield* (yield* Tokens).create({
          name: "burst",
          group: GROUP,
          scopes: ["topics:read"],
          createdBy: "cli"
        })
        const url = displayUrl((yield* HttpServer.HttpServer).address)
        const answers = yield* Effect.promise(() =>
          Promise.all(
            Array.from({ length: 600 }, () =>
              fetch(`${url}/api/v1/groups/${GROUP}/topics`, {
                headers: { authorization: `Bearer ${Redacted.value(made.secret)}` }
              }).then(async (response) => ({
                status: response.status,
                retryAfter: response.headers.get("retry-after"),
                body: (await response.json()) as { error: string }
              }))
            )
          )
        )
        const limited = answers.filter((answer) => answer.status === 429)
        expect(limited.length).toBeGreaterThan(0)
        expect(answers.filter((answer) => answer.status === 200).length).toBeGreaterThanOrEqual(90)
        expect(Number(limited[0]!.retryAfter)).toBeGreaterThanOrEqual(1)
        expect(limited[0]!.body.error).toMatch(/rate limit/)
      })
    )

    it.effect(
      "/openapi.json is a valid OpenAPI 3 document with every endpoint; /docs loads nothing from elsewhere",
      () =>
        Effect.gen(function* () {
          const url = displayUrl((yield* HttpServer.HttpServer).address)
          const document = yield* Effect.promise(() =>
            fetch(`${url}/openapi.json`).then((r) => r.json() as Promise<Record<string, unknown>>)
          )
          const validated = (yield* Effect.promise(() =>
            SwaggerParser.validate(structuredClone(document) as never)
          )) as {
            openapi: string
            paths: Record<string, Record<string, unknown>>
          }
          expect(validated.openapi).toMatch(/^3\./)
          expect(Object.keys(validated.paths)).toEqual(
            expect.arrayContaining([
              "/api/v1/groups/{group}/topics",
              "/api/v1/groups/{group}/topics/{topic}",
              "/api/v1/groups/{group}/topics/{topic}/messages",
              "/api/v1/dialogs/{connection}/{user}/messages",
              "/api/v1/events/{source}"
            ])
          )
          const docs = yield* Effect.promise(() => fetch(`${url}/docs`).then((r) => r.text()))
          expect(docs).toContain("SwaggerUIBundle")
          expect(docs).not.toMatch(/<(script|link)[^>]+(src|href)=["']?https?:/i)
        })
    )
  }
)

layer(
  ApiRateLimiter.Default.pipe(
    Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["API_RATE_LIMIT", "2"]]))))
  )
)("the token rate limit", (it) => {
  it.effect("a bucket of twice the rate per token, then the seconds to wait; tokens apart", () =>
    Effect.gen(function* () {
      const limiter = yield* ApiRateLimiter
      const takes = yield* Effect.forEach(Array.from({ length: 5 }), () => limiter.take("a"))
      expect(takes.slice(0, 4)).toEqual([0, 0, 0, 0])
      expect(takes[4]).toBeGreaterThanOrEqual(1)
      expect(yield* limiter.take("b")).toBe(0)
    })
  )
})
