import { SqlClient } from "@effect/sql"
import { Effect, Option, Redacted } from "effect"
import { AppConfig } from "../Config.ts"
import { botConnectionId, ConnectionId } from "../domain/Ids.ts"

/** A bot Backline talks to: its token and the Bot API server it lives on. */
export interface BotConnection {
  readonly id: ConnectionId
  readonly token: Redacted.Redacted<string>
  readonly apiRoot: string
}

interface Row {
  readonly id: string
  readonly token: string
  readonly api_root: string
}

const fromRow = (row: Row): BotConnection => ({
  id: ConnectionId.make(row.id),
  token: Redacted.make(row.token),
  apiRoot: row.api_root
})

/**
 * The bot connections in the `connection` table. `BOT_TOKEN` (with `TELEGRAM_API_ROOT`) seeds one
 * at start; more are added to the table.
 */
export class Connections extends Effect.Service<Connections>()("app/Connections", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    /**
     * Adds (or updates) a bot connection. `backendGroup` is the forum supergroup its clients'
     * dialogs open topics in; without one, its private chats are stored but open no dialogs.
     */
    const add = Effect.fn("Connections.add")(function* (
      token: Redacted.Redacted<string>,
      apiRoot: string,
      backendGroup: Option.Option<number> = Option.none()
    ) {
      const id = botConnectionId(Redacted.value(token))
      const group = Option.getOrNull(backendGroup)
      yield* sql`
        insert into connection (id, kind, token, api_root, backend_group_id)
        values (${id}, 'bot', ${Redacted.value(token)}, ${apiRoot}, ${group})
        on conflict (id) do update set token = excluded.token, api_root = excluded.api_root, enabled = true,
          backend_group_id = coalesce(excluded.backend_group_id, connection.backend_group_id)`.pipe(
        Effect.orDie
      )
      return { id, token, apiRoot } satisfies BotConnection
    })

    const bots = sql<Row>`
      select id, token, api_root from connection where kind = 'bot' and enabled order by id`.pipe(
      Effect.map((rows) => rows.map(fromRow)),
      Effect.orDie,
      Effect.withSpan("Connections.bots")
    )

    const get = Effect.fn("Connections.get")(function* (id: ConnectionId) {
      const rows = yield* sql<Row>`select id, token, api_root from connection where id = ${id}`.pipe(
        Effect.orDie
      )
      return Option.map(Option.fromNullable(rows[0]), fromRow)
    })

    /** Adds the `BOT_TOKEN` connection, if configured. */
    const seed = Effect.gen(function* () {
      const config = yield* AppConfig
      return yield* Option.match(config.botToken, {
        onNone: () => Effect.succeed(Option.none<BotConnection>()),
        onSome: (token) => Effect.map(add(token, config.telegramApiRoot, config.backendGroupId), Option.some)
      })
    })

    return { add, bots, get, seed } as const
  })
}) {}
