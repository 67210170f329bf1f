import type { BotCommand, BotCommandScope, UserFromGetMe } from "grammy/types"
import { Cache, Duration, Effect, Exit, Option, Schedule } from "effect"
import { ConnectionId } from "../domain/Ids.ts"
import { BotApi } from "../telegram/BotApi.ts"
import { Connections, type BotConnection } from "../telegram/Connections.ts"
import { PluginRegistry } from "./PluginRegistry.ts"

/** Telegram's menus Backline fills: group members see `members`, chat admins `admins`. */
export const commandScopes = {
  members: { type: "all_group_chats" },
  admins: { type: "all_chat_administrators" }
} as const satisfies Record<string, BotCommandScope>

/**
 * The plugins' chat commands in Telegram's command menu, and the bots' usernames (a command
 * addressed to another bot, `/ping@other_bot`, is not ours). Admins see every command (the
 * administrators' scope is the one Telegram shows them), members the others.
 */
export class PluginCommands extends Effect.Service<PluginCommands>()("app/PluginCommands", {
  effect: Effect.gen(function* () {
    const registry = yield* PluginRegistry
    const botApi = yield* BotApi
    const connections = yield* Connections

    const all = registry.plugins.flatMap((loaded) => loaded.plugin.commands)
    const menu = (commands: typeof all): Array<BotCommand> =>
      commands.map((command) => ({ command: command.name, description: command.description }))
    const menus = [
      [commandScopes.members, menu(all.filter((command) => command.adminOnly !== true))],
      [commandScopes.admins, menu(all)]
    ] as const

    /** Sets both menus of one bot (or removes a menu left empty). */
    const register = Effect.fn("PluginCommands.register")(function* (bot: BotConnection) {
      for (const [scope, commands] of menus) {
        if (commands.length > 0) yield* botApi.call(bot, "setMyCommands", { commands, scope })
        else yield* botApi.call(bot, "deleteMyCommands", { scope })
      }
    })

    /** Registers the menus of every bot, retrying a bot Telegram does not answer for a while. */
    const registerAll = Effect.gen(function* () {
      for (const bot of yield* connections.bots) {
        yield* register(bot).pipe(
          Effect.retry({ schedule: Schedule.exponential("1 second"), times: 6 }),
          Effect.zipRight(Effect.logInfo(`plugins: ${all.length} commands registered with ${bot.id}`)),
          Effect.catchAll((failure) =>
            Effect.logWarning(`plugins: could not register commands with ${bot.id}: ${failure._tag}`)
          )
        )
      }
    })

    const usernames = yield* Cache.makeWith({
      capacity: 1_000,
      lookup: (connection: string) =>
        Effect.gen(function* () {
          const bot = yield* connections.get(ConnectionId.make(connection))
          if (Option.isNone(bot)) return Option.none<string>()
          const me = (yield* botApi.call(bot.value, "getMe", {})) as UserFromGetMe
          return Option.some(me.username.toLowerCase())
        }),
      timeToLive: (exit) => (Exit.isSuccess(exit) ? Duration.hours(1) : Duration.zero)
    })

    /** Whether a command with `/name@addressedTo` is for the bot `connection` (when it cannot tell: yes). */
    const isForUs = (connection: string, addressedTo: string | null) =>
      addressedTo === null
        ? Effect.succeed(true)
        : usernames.get(connection).pipe(
            Effect.map(
              Option.match({ onNone: () => true, onSome: (name) => name === addressedTo.toLowerCase() })
            ),
            Effect.orElseSucceed(() => true)
          )

    return { register, registerAll, isForUs } as const
  }),
  dependencies: [BotApi.Default, Connections.Default]
}) {}
