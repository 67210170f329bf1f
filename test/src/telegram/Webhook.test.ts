import * as net from "node:net"
import { SqlClient } from "@effect/sql"
import { it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { Api } from "grammy"
import { describe, expect } from "vitest"
import { AppConfig } from "../../../src/Config.ts"
import { HttpLive } from "../../../src/http/Http.ts"
import { demoWorld } from "../../../src/sandbox/Demo.ts"
import { Connections } from "../../../src/telegram/Connections.ts"
import { Gateway } from "../../../src/telegram/Gateway.ts"
import { WebhookRoutes } from "../../../src/telegram/Webhook.ts"
import { testConfig } from "../../support/Config.ts"
import {
  eventsOf,
  eventually,
  fast,
  messageRows,
  MigratedDatabase,
  pendingAtTelegram,
  sandbox
} from "../../support/Gateway.ts"

const freePort = Effect.promise(
  () =>
    new Promise<number>((resolve) => {
      const server = net.createServer()
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as net.AddressInfo
        server.close(() => resolve(port))
      })
    })
)

// Backline's real HTTP server with the webhook route, on a port known before it starts so that
// PUBLIC_URL can name it.
const Live = Layer.unwrapEffect(
  Effect.map(freePort, (port) =>
    Layer.mergeAll(HttpLive.pipe(Layer.provide(WebhookRoutes)), Gateway.Default, Connections.Default).pipe(
      Layer.provideMerge(MigratedDatabase),
      Layer.provideMerge(Layer.succeed(AppConfig, testConfig(Option.some(`http://127.0.0.1:${port}`), port)))
    )
  )
)

const post = (url: string, body: string, secret?: string) =>
  Effect.promise(async () => {
    const response = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(secret !== undefined ? { "x-telegram-bot-api-secret-token": secret } : {})
      },
      body
    })
    const text = await response.text()
    return { status: response.status, body: text === "" ? undefined : (JSON.parse(text) as unknown) }
  })

describe("Gateway in webhook mode (PUBLIC_URL set)", () => {
  it.live(
    "sets the webhook with a stored secret; the sandbox delivers to Backline's HTTP server; bad requests are refused",
    () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const { publicUrl } = yield* AppConfig
        const box = yield* sandbox({ webhookRetry: { initialMs: 20, maxMs: 100 } })
        const demo = demoWorld(box.world)
        const bot = yield* (yield* Connections).add(Redacted.make(demo.bot.token), box.apiRoot)
        yield* (yield* Gateway).serve([bot])
        const api = new Api(demo.bot.token, { apiRoot: box.apiRoot })
        const url = `${Option.getOrThrow(publicUrl)}/telegram/webhook/${bot.id}`
        const info = yield* eventually(
          Effect.promise(() => api.getWebhookInfo()).pipe(Effect.map((info) => info.url !== "" && info))
        )
        expect(info.url).toBe(url)
        expect(info.allowed_updates).toEqual(expect.arrayContaining(["chat_member", "message_reaction"]))
        const [row] = yield* sql<{ webhook_secret: string }>`select webhook_secret from connection`
        expect(row?.webhook_secret).toMatch(/^[A-Za-z0-9_-]{40,}$/)

        box.world.sendMessage({ from: demo.clients[0].id, chat_id: demo.bot.user.id, text: "via webhook" })
        const rows = yield* eventually(Effect.map(messageRows(bot.id), (rows) => rows.length === 1 && rows))
        expect(eventsOf(bot.id, rows)).toMatchObject([
          { type: "message.received", connection: bot.id, message: { text: "via webhook" } }
        ])
        yield* eventually(Effect.map(pendingAtTelegram(api), (pending) => pending === 0))

        const update = JSON.stringify({
          update_id: 1,
          message: { message_id: 1, date: 1, chat: { id: 1, type: "private" } }
        })
        const wrong = yield* post(url, update, "wrong")
        expect([wrong.status, typeof (wrong.body as { error?: unknown }).error]).toEqual([401, "string"])
        expect((yield* post(url, update)).status).toBe(401)
        expect(yield* post(url, "{not json", row!.webhook_secret)).toEqual({
          status: 400,
          body: { error: "the body is not valid JSON", field: "body" }
        })
        expect(yield* post(url, "{}", row!.webhook_secret)).toMatchObject({
          status: 400,
          body: { field: "update_id" }
        })
        const other = url.replace(bot.id, "bot:123")
        expect(yield* post(other, update, row!.webhook_secret)).toMatchObject({ status: 404 })
        expect((yield* post(url.replace(bot.id, "nobody"), update)).status).toBe(404)
        expect(yield* sql`select 1 from inbox where update_id = 1`).toEqual([]) // nothing refused was stored

        // The same secret is kept across restarts, so deliveries in flight stay valid.
        yield* (yield* Gateway).serve([bot])
        yield* Effect.sleep("200 millis")
        const [again] = yield* sql<{ webhook_secret: string }>`select webhook_secret from connection`
        expect(again?.webhook_secret).toBe(row?.webhook_secret)
      }).pipe(Effect.scoped, Effect.provide(fast), Effect.provide(Live)),
    30_000
  )

  it.live("answers 200 only after the commit: a failed store answers 500 and Telegram delivers again", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const box = yield* sandbox({ webhookRetry: { initialMs: 20, maxMs: 100 } })
      const demo = demoWorld(box.world)
      const bot = yield* (yield* Connections).add(Redacted.make(demo.bot.token), box.apiRoot)
      yield* (yield* Gateway).serve([bot])
      const api = new Api(demo.bot.token, { apiRoot: box.apiRoot })
      yield* eventually(
        Effect.promise(() => api.getWebhookInfo()).pipe(Effect.map((info) => info.url !== ""))
      )
      yield* eventually(Effect.map(pendingAtTelegram(api), (pending) => pending === 0))

      yield* sql`alter table inbox rename to inbox_away`
      box.world.sendMessage({ from: demo.clients[0].id, chat_id: demo.bot.user.id, text: "keep trying" })
      const failing = yield* eventually(
        Effect.promise(() => api.getWebhookInfo()).pipe(
          Effect.map((info) => info.last_error_message !== undefined && info)
        )
      )
      expect(failing.last_error_message).toContain("500")
      expect(failing.pending_update_count).toBe(1)
      yield* sql`alter table inbox_away rename to inbox`

      const rows = yield* eventually(Effect.map(messageRows(bot.id), (rows) => rows.length === 1 && rows))
      expect(rows[0]?.payload).toMatchObject({ message: { text: "keep trying" } })
      yield* eventually(Effect.map(pendingAtTelegram(api), (pending) => pending === 0))
      expect((yield* messageRows(bot.id)).length).toBe(1)
    }).pipe(Effect.scoped, Effect.provide(fast), Effect.provide(Live))
  )
})
