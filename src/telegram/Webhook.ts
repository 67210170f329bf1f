import { randomBytes, timingSafeEqual } from "node:crypto"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { SqlClient } from "@effect/sql"
import { Effect, Layer, Option, Schema } from "effect"
import { Mailbox } from "../actors/Mailbox.ts"
import { handledUpdateKinds } from "../domain/Events.ts"
import { ConnectionId } from "../domain/Ids.ts"
import { AppRouter } from "../http/Http.ts"
import type { BotConnection } from "./Connections.ts"
import { Inbox } from "./Inbox.ts"
import { callBotApi, connectionStatus, persistently } from "./Polling.ts"

/** Where Telegram delivers a connection's updates, below `PUBLIC_URL`. */
export const webhookPath = (connection: ConnectionId): string => `/telegram/webhook/${connection}`

/**
 * Webhook mode: `register` points Telegram at Backline's `POST /telegram/webhook/{connection}`
 * with a random secret kept in the connection's row (generated once, reused after restarts).
 */
export class Webhook extends Effect.Service<Webhook>()("app/Webhook", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const mailbox = yield* Mailbox
    const statuses = new Map<ConnectionId, ReturnType<typeof connectionStatus>>()

    /**
     * What the connection's actor is told: `setWebhook` accepted, or an update accepted, makes it
     * online; a refused `setWebhook` refuses it. Only changes are sent (see `connectionStatus`).
     */
    const statusOf = (connection: ConnectionId) => {
      const known = statuses.get(connection)
      if (known !== undefined) return known
      const status = connectionStatus(mailbox, connection)
      statuses.set(connection, status)
      return status
    }

    /** `None` for an unknown bot connection, `Some(None)` for one that has no webhook secret yet. */
    const secretOf = Effect.fn("Webhook.secretOf")(function* (connection: ConnectionId) {
      const rows = yield* sql<{ webhook_secret: string | null }>`
        select webhook_secret from connection where id = ${connection} and kind = 'bot'`.pipe(Effect.orDie)
      return Option.map(Option.fromNullable(rows[0]), (row) => Option.fromNullable(row.webhook_secret))
    })

    const ensureSecret = (connection: ConnectionId) =>
      Effect.gen(function* () {
        const existing = Option.flatten(yield* secretOf(connection))
        if (Option.isSome(existing)) return existing.value
        const secret = randomBytes(32).toString("base64url") // Telegram allows A-Z a-z 0-9 _ -
        yield* sql`update connection set webhook_secret = ${secret} where id = ${connection}`.pipe(
          Effect.orDie
        )
        return secret
      })

    /**
     * Calls `setWebhook` for `connection` (retrying while Telegram is unreachable); answers
     * `"unauthorized"` if the token is refused.
     */
    const register = Effect.fn("Webhook.register")(function* (connection: BotConnection, publicUrl: string) {
      const secret = yield* ensureSecret(connection.id)
      const url = `${publicUrl}${webhookPath(connection.id)}`
      return yield* persistently(
        "setWebhook",
        statusOf(connection.id).watch(
          callBotApi(connection, "setWebhook", (api, signal) =>
            api.setWebhook(url, { secret_token: secret, allowed_updates: handledUpdateKinds }, signal)
          )
        )
      ).pipe(
        Effect.zipRight(Effect.logInfo(`telegram: ${connection.id} receives updates at ${url}`)),
        Effect.as("registered" as const),
        Effect.catchTag("Unauthorized", (error) =>
          Effect.logError(
            `telegram: ${connection.id} is unauthorized (${error.description}); no webhook set`
          ).pipe(Effect.as("unauthorized" as const))
        )
      )
    })

    /** An update was stored: the connection is online (told its actor once). */
    const accepted = (connection: ConnectionId) => statusOf(connection).succeeded

    return { register, secretOf, accepted } as const
  }),
  dependencies: [Mailbox.Default]
}) {}

const sameSecret = (expected: string, given: string | undefined): boolean => {
  if (given === undefined) return false
  const a = Buffer.from(expected)
  const b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}

const error = (status: number, message: string, field?: string) =>
  HttpServerResponse.json({ error: message, ...(field !== undefined ? { field } : {}) }, { status })

const receive = (webhook: Webhook, inbox: Inbox) =>
  Effect.gen(function* () {
    const params = yield* HttpRouter.params
    const request = yield* HttpServerRequest.HttpServerRequest
    const connection = Schema.decodeUnknownOption(ConnectionId)(params["connection"])
    if (Option.isNone(connection)) return yield* error(404, "no such connection", "connection")
    const secret = yield* webhook.secretOf(connection.value)
    if (Option.isNone(secret)) return yield* error(404, "no such connection", "connection")
    const given = request.headers["x-telegram-bot-api-secret-token"]
    if (Option.isNone(secret.value) || !sameSecret(secret.value.value, given)) {
      return yield* error(401, "wrong or missing X-Telegram-Bot-Api-Secret-Token")
    }
    const text = yield* Effect.orElseSucceed(request.text, () => undefined)
    let update: unknown
    try {
      update = JSON.parse(text ?? "")
    } catch {
      return yield* error(400, "the body is not valid JSON", "body")
    }
    // Answered only after the commit; a failure to store answers 500, and Telegram retries.
    return yield* inbox.store(connection.value, update).pipe(
      Effect.zipRight(webhook.accepted(connection.value)),
      Effect.zipRight(HttpServerResponse.empty({ status: 200 })),
      Effect.catchTag("UpdateIdMissing", () => error(400, "the update has no update_id", "update_id")),
      Effect.catchAllDefect((defect) => {
        const cause = (defect as { cause?: unknown } | undefined)?.cause
        const reason = `${defect instanceof Error ? defect.message : String(defect)}${cause instanceof Error ? `: ${cause.message}` : ""}`
        return Effect.logError(
          `telegram: an update for ${connection.value} could not be stored: ${reason}`
        ).pipe(Effect.zipRight(error(500, "the update could not be stored; try again")))
      })
    )
  })

/** `POST /telegram/webhook/{connection}`: a Bot API webhook delivery, checked against the secret. */
export const WebhookRoutes = AppRouter.use((router) =>
  Effect.gen(function* () {
    const webhook = yield* Webhook
    const inbox = yield* Inbox
    yield* router.post("/telegram/webhook/:connection", receive(webhook, inbox))
  })
).pipe(Layer.provide(Layer.mergeAll(Webhook.Default, Inbox.Default)))
