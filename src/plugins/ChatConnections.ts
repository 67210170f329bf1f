import { SqlClient } from "@effect/sql"
import { Cache, Duration, Effect, Option } from "effect"

const inboxCause = /^inbox:((?:bot|account):\d+)\//

/** The connection an `inbox:<connection>/<update_id>` cause names. */
export const connectionOfCause = (cause: string): string | undefined => inboxCause.exec(cause)?.[1]

/**
 * Which bot to act through in a chat a plugin names: the one the chat's latest update came
 * through (from its group actor's journal), else the first enabled bot.
 */
export class ChatConnections extends Effect.Service<ChatConnections>()("app/ChatConnections", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const lookup = (chatId: number) =>
      Effect.gen(function* () {
        const [latest] = yield* sql<{ cause: string }>`
          select cause from journal where actor_key = ${`group:${chatId}`} and cause like 'inbox:%'
          order by seq desc limit 1`
        const heard = latest === undefined ? undefined : connectionOfCause(latest.cause)
        if (heard !== undefined) return Option.some(heard)
        const [bot] = yield* sql<{ id: string }>`
          select id from connection where kind = 'bot' and enabled order by id limit 1`
        return Option.fromNullable(bot?.id)
      }).pipe(Effect.orDie)

    const cache = yield* Cache.make({ capacity: 10_000, timeToLive: Duration.minutes(10), lookup })

    /** The connection to reach `chatId` through; dies when Backline has no bot at all. */
    const forChat = Effect.fn("ChatConnections.forChat")(function* (chatId: number) {
      const found = yield* cache.get(chatId)
      if (Option.isNone(found)) {
        yield* cache.invalidate(chatId)
        return yield* Effect.dieMessage(`no bot connection can reach the chat ${chatId}`)
      }
      return found.value
    })

    return { forChat } as const
  })
}) {}
