import { SqlClient } from "@effect/sql"
import { Config, Duration, Effect, Option, Schedule } from "effect"
import { ConnectionId } from "../domain/Ids.ts"
import { ChatConnections } from "../plugins/ChatConnections.ts"
import { Outbox, type OutboxEntry } from "../telegram/Outbox.ts"
import { NotFound, TelegramRefused } from "./ApiErrors.ts"

/** `API_SEND_WAIT`: seconds a request waits for Telegram's answer before it answers 202 (queued). */
export const apiSendWait = Config.withDefault(Config.number("API_SEND_WAIT"), 10)

/** What became of a call the API queued. */
export type Outcome =
  | { readonly _tag: "Sent"; readonly result: unknown }
  | { readonly _tag: "Queued"; readonly outboxIds: ReadonlyArray<number> }

/** The message ids in a Bot API result (one message, or an album's). */
export const messageIdsOf = (result: unknown): Array<number> =>
  (Array.isArray(result) ? result : [result]).flatMap((item: unknown) =>
    typeof item === "object" &&
    item !== null &&
    typeof (item as { message_id?: unknown }).message_id === "number"
      ? [(item as { message_id: number }).message_id]
      : []
  )

interface Row {
  readonly status: "pending" | "sent" | "failed"
  readonly result: unknown
  readonly error: string | null
  readonly code: number | null
}

/**
 * The API's Bot API calls go the Backline way: queued in the durable outbox (sent by the Sender,
 * in order per chat and topic, within Telegram's limits), then the request waits for the Sender's
 * recorded result, up to `API_SEND_WAIT` seconds; after that it answers 202 and the call is still
 * made. A refusal answers 422 with Telegram's description.
 */
export class ApiOutbox extends Effect.Service<ApiOutbox>()("app/api/ApiOutbox", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const outbox = yield* Outbox
    const chats = yield* ChatConnections
    const wait = Duration.seconds(yield* apiSendWait.pipe(Effect.orDie))

    /** The bot that reaches `chatId`, or 404 when Backline has none. */
    const connectionFor = (chatId: number) =>
      chats.forChat(chatId).pipe(
        Effect.map((id) => ConnectionId.make(id)),
        Effect.catchAllDefect(() =>
          Effect.fail(new NotFound({ error: `no bot connection reaches the chat ${chatId}` }))
        )
      )

    const row = (id: number) =>
      sql<Row>`
        select status, result, error,
          (select (event ->> 'code')::int from journal
           where cause = ${`outbox:${id}`} and type = 'delivery.failed' limit 1) as code
        from outbox where id = ${id}`.pipe(
        Effect.map((rows) => rows[0]),
        Effect.orDie
      )

    /** Waits for row `id` to be settled: its result, 422 when refused, `None` when the wait ran out. */
    const settled = (id: number) =>
      row(id).pipe(
        Effect.flatMap((found) =>
          found === undefined || found.status === "pending"
            ? Effect.fail("pending" as const)
            : Effect.succeed(found)
        ),
        Effect.retry(Schedule.spaced("25 millis")),
        Effect.orDie, // retried until settled: it never fails
        Effect.timeoutOption(wait),
        Effect.flatMap(
          Option.match({
            onNone: () => Effect.succeed(Option.none<unknown>()),
            onSome: (found) =>
              found.status === "sent"
                ? Effect.succeed(Option.some(found.result))
                : Effect.fail(
                    new TelegramRefused({ error: found.error ?? "refused", code: found.code ?? 400 })
                  )
          })
        )
      )

    /**
     * Queues `entries` in one transaction and waits for the result of the first; the others are
     * not waited for.
     */
    const call = Effect.fn("ApiOutbox.call")(function* (entries: ReadonlyArray<OutboxEntry>) {
      const ids = yield* outbox.enqueue(entries).pipe(sql.withTransaction, Effect.orDie)
      const result = yield* settled(ids[0]!)
      return Option.match(result, {
        onNone: (): Outcome => ({ _tag: "Queued", outboxIds: ids }),
        onSome: (value): Outcome => ({ _tag: "Sent", result: value })
      })
    })

    return { connectionFor, call } as const
  }),
  dependencies: [Outbox.Default, ChatConnections.Default]
}) {}
