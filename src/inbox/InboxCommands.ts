import { Effect, Either } from "effect"
import { settingsByName, parseSetting } from "../domain/DialogSettings.ts"
import { definePlugin } from "../plugins/definePlugin.ts"
import type { InboxConnection } from "./InboxSettings.ts"
import { InboxSettings } from "./InboxSettings.ts"

const GENERAL = 1

const describe = (connection: InboxConnection) =>
  [
    `Settings of ${connection.id}:`,
    ...Object.keys(settingsByName).map((name) => {
      const set = connection.stored[name]
      return set === undefined ? `${name}: default` : `${name}: ${set}`
    }),
    "",
    "Change one with /set <NAME> <value> (OFF clears a list or the welcome); /set <NAME> alone explains it."
  ].join("\n")

/** Chat admins, and the ids in EXTENSIONS_ALLOWED, may use the team-wide commands. */
const mayManage = (
  connection: InboxConnection,
  userId: number,
  chatId: number,
  ctx: { isAdmin: (userId: number, chatId?: number) => Effect.Effect<boolean> }
) =>
  connection.settings.extensionsAllowed.includes(userId) ? Effect.succeed(true) : ctx.isAdmin(userId, chatId)

/**
 * The inbox's own commands in the backend group's General topic: `/settings` shows each
 * connection's settings, `/set <NAME> <value>` changes one and `/new <@username|id>` opens a
 * client's topic before they write (chat admins, and the ids in EXTENSIONS_ALLOWED). Built with the process' InboxSettings; a system plugin, always on.
 */
export const makeInboxCommands = Effect.gen(function* () {
  const inbox = yield* InboxSettings
  /** The connection a command in `chatId` is about: the one that received it, else the group's first. */
  const connectionFor = (chatId: number, connection: string) =>
    Effect.map(inbox.ofGroup(chatId), (found) => found.find((one) => one.id === connection) ?? found[0])
  /** Adds the client to (or takes them off) their connection's IGNORE_CHATS. */
  const ignore = (connection: string, peerId: number, banned: boolean) =>
    Effect.gen(function* () {
      const found = (yield* inbox.ofConnection(connection))?.settings.ignoreChats ?? []
      const next = banned ? [...new Set([...found, peerId])] : found.filter((id) => id !== peerId)
      yield* inbox.set(connection, "IGNORE_CHATS", next.length === 0 ? "OFF" : next.join(" "))
    })
  return definePlugin({
    id: "inbox",
    description: "The inbox's settings: /settings, /set and /new in General; bans kept in IGNORE_CHATS",
    on: {
      "dialog.clientBanned": (event) => ignore(event.connection, event.peerId, true),
      "dialog.clientUnbanned": (event) => ignore(event.connection, event.peerId, false)
    },
    commands: [
      {
        name: "settings",
        description: "Show the inbox settings of this group's connections",
        run: (command, ctx) =>
          Effect.gen(function* () {
            if (command.threadId !== GENERAL) return yield* ctx.reply("Use /settings in General.")
            const connections = yield* inbox.ofGroup(command.chatId)
            if (connections.length === 0)
              return yield* ctx.reply("No connection opens its clients' topics in this group.")
            yield* ctx.reply(connections.map(describe).join("\n\n"))
          })
      },
      {
        name: "new",
        description: "Open a topic with a client who has started the bot: /new <@username|id>",
        args: "<@username|id>",
        run: (command, ctx) =>
          Effect.gen(function* () {
            if (command.threadId !== GENERAL) return yield* ctx.reply("Use /new in General.")
            const found = yield* connectionFor(command.chatId, command.connection)
            if (found === undefined)
              return yield* ctx.reply("No connection opens its clients' topics in this group.")
            const userId = command.from?.id ?? 0
            if (!(yield* mayManage(found, userId, command.chatId, ctx)))
              return yield* ctx.reply("Only the group's admins can open topics with /new.")
            const target = command.args.trim()
            const peer = /^\d+$/.test(target)
              ? Number(target)
              : /^@\w+$/.test(target)
                ? yield* inbox.clientNamed(found.id, target.slice(1))
                : undefined
            if (peer === undefined)
              return yield* ctx.reply(
                target === "" || !target.startsWith("@")
                  ? "Usage: /new <@username|id>"
                  : `No client ${target} has written to ${found.id} yet; use their id.`
              )
            yield* ctx.send("dialog", `${found.id}:${peer}`, {
              type: "dialog.open",
              backendGroup: command.chatId,
              settings: found.settings,
              by: userId
            })
            yield* ctx.reply(`Opening the topic of ${peer}; write there to reach them.`)
          })
      },
      {
        name: "set",
        description: "Change an inbox setting: /set <NAME> <value>",
        args: "<NAME> <value>",
        run: (command, ctx) =>
          Effect.gen(function* () {
            if (command.threadId !== GENERAL) return yield* ctx.reply("Use /set in General.")
            const connection = yield* connectionFor(command.chatId, command.connection)
            if (connection === undefined)
              return yield* ctx.reply("No connection opens its clients' topics in this group.")
            const userId = command.from?.id ?? 0
            if (!(yield* mayManage(connection, userId, command.chatId, ctx)))
              return yield* ctx.reply("Only the group's admins can change the inbox settings.")
            const [rawName = "", ...rest] = command.args.split(/\s+/)
            const name = rawName.toUpperCase()
            const setting = settingsByName[name]
            if (setting === undefined)
              return yield* ctx.reply(
                `Usage: /set <NAME> <value>. The settings are ${Object.keys(settingsByName).join(", ")}.`
              )
            const raw = command.args.slice(rawName.length).trim()
            if (raw === "" || rest.length === 0) return yield* ctx.reply(`${name}: ${setting.help}.`)
            const parsed = parseSetting(name, raw)
            if (Either.isLeft(parsed)) return yield* ctx.reply(`Not changed: ${parsed.left}.`)
            yield* inbox.set(connection.id, name, raw)
            yield* ctx.reply(`${name} is now ${raw} for ${connection.id}.`)
          })
      }
    ]
  })
})
