import { Effect, Layer, Option, Redacted } from "effect"
import { ConnectionId } from "../domain/Ids.ts"
import { ChatConnections } from "../plugins/ChatConnections.ts"
import { definePlugin } from "../plugins/definePlugin.ts"
import { BotApi } from "../telegram/BotApi.ts"
import { Connections } from "../telegram/Connections.ts"
import { allScopes, parseScopes } from "./Scopes.ts"
import { Tokens } from "./Tokens.ts"

const usage = [
  "Usage:",
  "/token <scopes> [name]: a new API token for this group, sent to you in a private message",
  "/token list: this group's tokens",
  "/token revoke <id>",
  `Scopes (comma-separated): ${allScopes.join(", ")}`,
  "Example: /token topics:write,events:write Monitoring"
].join("\n")

/**
 * `/token` for the group's admins: makes an API token of this group and sends its secret once, in
 * a private message to the admin, straight through the Bot API (never through the outbox, so the
 * secret is stored nowhere but as its hash). If that message cannot be delivered (the admin never
 * started the bot), the token is revoked and the group is told, without the secret.
 */
export const makeTokenCommand = Effect.gen(function* () {
  const tokens = yield* Tokens
  const api = yield* BotApi
  const connections = yield* Connections
  const chats = yield* ChatConnections

  return definePlugin({
    id: "api-tokens",
    description: "/token: HTTP API tokens of this group, for its admins",
    commands: [
      {
        name: "token",
        description: "Create, list or revoke this group's HTTP API tokens (admins)",
        args: "<scopes> [name] | list | revoke <id>",
        adminOnly: true,
        run: (command, ctx) =>
          Effect.gen(function* () {
            const [first = "", ...rest] = command.args.trim().split(/\s+/)
            if (first === "" || first === "help") return yield* ctx.reply(usage)
            if (first === "list") {
              const mine = (yield* tokens.list).filter((token) => token.group === command.chatId)
              return yield* ctx.reply(
                mine.length === 0
                  ? "This group has no API tokens."
                  : mine
                      .map(
                        (token) =>
                          `${token.id} ${token.revokedAt === null ? "" : "(revoked) "}“${token.name}”: ${token.scopes.join(",")}`
                      )
                      .join("\n")
              )
            }
            if (first === "revoke") {
              const id = rest[0] ?? ""
              const mine = (yield* tokens.list).find(
                (token) => token.id === id && token.group === command.chatId
              )
              if (mine === undefined)
                return yield* ctx.reply(`This group has no token ${id || "<id>"}. /token list`)
              yield* tokens.revoke(id).pipe(Effect.ignore)
              return yield* ctx.reply(`Revoked ${id} (“${mine.name}”).`)
            }
            const { scopes, unknown } = parseScopes(first)
            if (unknown.length > 0 || scopes.length === 0)
              return yield* ctx.reply(`Unknown scope ${unknown.join(", ")}.\n${usage}`)
            if (command.from === null) return yield* ctx.reply("Only a person can ask for a token.")
            const name = rest.join(" ").slice(0, 100) || `by ${command.from.first_name}`
            const made = yield* tokens.create({
              name,
              group: command.chatId,
              scopes,
              createdBy: `telegram:${command.from.id}`
            })
            const connectionId = command.connection ?? (yield* chats.forChat(command.chatId))
            const connection = yield* connections.get(ConnectionId.make(connectionId))
            const text =
              `API token ${made.token.id} (“${name}”) for the group ${command.chatId}, scopes ${scopes.join(",")}.\n` +
              "Keep it secret; it is shown only now:\n\n" +
              Redacted.value(made.secret)
            const sent = Option.isNone(connection)
              ? false
              : yield* api.call(connection.value, "sendMessage", { chat_id: command.from.id, text }).pipe(
                  Effect.as(true),
                  Effect.catchAll(() => Effect.succeed(false))
                )
            if (sent)
              return yield* ctx.reply(
                `Token ${made.token.id} made; I sent you its secret in a private message.`
              )
            yield* tokens.revoke(made.token.id).pipe(Effect.ignore)
            yield* ctx.reply(
              "I could not send you the token in a private message, so I revoked it. " +
                "Open a chat with me, press Start, then ask again with /token."
            )
          })
      }
    ]
  })
})

/** What `makeTokenCommand` needs (besides the database and the connections). */
export const TokenCommandLive = Layer.mergeAll(Tokens.Default, BotApi.Default, ChatConnections.Default)
