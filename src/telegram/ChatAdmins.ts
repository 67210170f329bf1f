import { Cache, Context, Duration, Effect, Exit, Option } from "effect"
import type { ChatMember } from "grammy/types"
import { ConnectionId } from "../domain/Ids.ts"
import { BotApi, PermanentFailure } from "./BotApi.ts"
import { Connections } from "./Connections.ts"

/** How long Telegram's answer about one user in one chat is trusted: at most 60 s. */
export class ChatAdminsConfig extends Context.Reference<ChatAdminsConfig>()("app/ChatAdminsConfig", {
  defaultValue: () => ({ timeToLive: Duration.seconds(60) })
}) {}

const maxTimeToLive = Duration.seconds(60)

/** What Telegram says of one user in one chat. */
interface Rights {
  readonly admin: boolean
  readonly mayBan: boolean
}

const nobody: Rights = { admin: false, mayBan: false }

const keyOf = (connection: string, chatId: number, userId: number) => `${connection}|${chatId}|${userId}`

/**
 * The one place that checks admin rights: whether a user administers a chat, as Telegram answers
 * `getChatMember` for that user (creator or administrator). An answer is kept per bot, chat and
 * user for at most 60 s, and dropped as soon as a membership change of that user in that chat
 * arrives (`forget`, called for every `group.memberChanged`). A chat or user the bot cannot see is
 * no admin.
 */
export class ChatAdmins extends Effect.Service<ChatAdmins>()("app/ChatAdmins", {
  effect: Effect.gen(function* () {
    const botApi = yield* BotApi
    const connections = yield* Connections
    const config = yield* ChatAdminsConfig
    const timeToLive = Duration.min(Duration.decode(config.timeToLive), maxTimeToLive)

    const fetch = (key: string) =>
      Effect.gen(function* () {
        const [connection, chat, user] = key.split("|") as [string, string, string]
        const bot = yield* connections.get(ConnectionId.make(connection))
        if (Option.isNone(bot)) return nobody
        const member = (yield* botApi.call(bot.value, "getChatMember", {
          chat_id: Number(chat),
          user_id: Number(user)
        })) as ChatMember
        return {
          admin: member.status === "creator" || member.status === "administrator",
          mayBan:
            member.status === "creator" || (member.status === "administrator" && member.can_restrict_members)
        }
      }).pipe(
        Effect.catchIf(
          (failure) => failure instanceof PermanentFailure,
          () => Effect.succeed(nobody)
        )
      )

    const cache = yield* Cache.makeWith({
      capacity: 10_000,
      lookup: fetch,
      timeToLive: (exit) => (Exit.isSuccess(exit) ? timeToLive : Duration.zero)
    })

    /**
     * Whether `userId` administers `chatId`, asked through the bot `connection`. Dies when Telegram
     * cannot be asked (a network failure or a 429): the caller's delivery is retried.
     */
    const isAdmin = Effect.fn("ChatAdmins.isAdmin")(function* (
      connection: string,
      chatId: number,
      userId: number
    ) {
      return (yield* cache.get(keyOf(connection, chatId, userId)).pipe(Effect.orDie)).admin
    })

    /** Whether `userId` may ban users in `chatId` (its creator, or an admin with that right); as `isAdmin`. */
    const mayBan = Effect.fn("ChatAdmins.mayBan")(function* (
      connection: string,
      chatId: number,
      userId: number
    ) {
      return (yield* cache.get(keyOf(connection, chatId, userId)).pipe(Effect.orDie)).mayBan
    })

    /** Drops what is known about `userId` in `chatId` (through every bot): the next check asks Telegram. */
    const forget = (chatId: number, userId: number) =>
      Effect.flatMap(cache.keys, (keys) =>
        Effect.forEach(
          keys.filter((key) => key.endsWith(`|${chatId}|${userId}`)),
          (key) => cache.invalidate(key),
          { discard: true }
        )
      )

    return { isAdmin, mayBan, forget } as const
  }),
  dependencies: [BotApi.Default, Connections.Default]
}) {}
