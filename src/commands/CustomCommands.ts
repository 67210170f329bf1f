import { HttpClient } from "@effect/platform"
import { Clock, Effect, Either, Option } from "effect"
import { definePlugin, type CommandIssued, type PluginContext } from "../plugins/definePlugin.ts"
import type { LoadedPlugin } from "../plugins/PluginRegistry.ts"
import { TopicDirectory } from "../api/TopicDirectory.ts"
import { parseUrl } from "../webhooks/WebhookEvents.ts"
import { signedPost } from "../webhooks/SignedPost.ts"
import { answerText, commandTimeout } from "./CommandAnswer.ts"
import { CustomCommandStore, type CustomCommand } from "./CustomCommandStore.ts"

/** Commands of Backline itself that are not plugins' (the dialog's in client topics, the admin commands, the API's). */
const backlineCommands = [
  "start",
  "close",
  "hold",
  "wait",
  "info",
  "ban",
  "unban",
  "plugins",
  "plugin",
  "token",
  "help"
]

const usage = [
  "/cmd add /<name> <text>: /<name> answers <text>",
  "/cmd add /<name> <url>: /<name> asks <url> (a signed POST) and posts its answer",
  "/cmd list: this group's commands",
  "/cmd remove /<name>: remove one"
].join("\n")

/** The first word of `text`, and the rest as written (new lines kept). */
const split = (text: string) => {
  const match = /^(\S*)\s*([\s\S]*)$/.exec(text)
  return [match?.[1] ?? "", match?.[2] ?? ""] as const
}

const describe = (command: CustomCommand) =>
  command.kind === "text"
    ? `/${command.name}: ${command.text.length > 60 ? `${command.text.slice(0, 60)}…` : command.text}`
    : `/${command.name}: asks ${command.url}`

/**
 * Custom commands: group admins define `/cmd add /price <text>` (a fixed answer) or
 * `/cmd add /invoice <url>` (Backline POSTs the command, its arguments and where it was given to
 * the URL, signed like webhooks, and posts the answer), `/cmd list`, `/cmd remove /price`. Anyone in
 * the group may then use them. A name that is Backline's or a plugin's command is refused. A system
 * plugin, always on; `others` are the plugins whose commands it must not shadow.
 */
export const makeCustomCommands = (others: ReadonlyArray<LoadedPlugin>) =>
  Effect.gen(function* () {
    const store = yield* CustomCommandStore
    const http = yield* HttpClient.HttpClient
    const directory = yield* TopicDirectory
    const reserved = new Set([
      ...backlineCommands,
      "cmd",
      "webhook",
      ...others.flatMap((loaded) => loaded.plugin.commands.map((command) => command.name))
    ])

    const add = (command: CommandIssued, rest: string, ctx: PluginContext<unknown>) =>
      Effect.gen(function* () {
        const [written, answer] = split(rest)
        const name = written.replace(/^\//, "").toLowerCase()
        if (!/^[a-z0-9_]{1,32}$/.test(name) || answer.trim() === "")
          return yield* ctx.reply(`Usage:\n${usage}\nA name is 1 to 32 lower-case letters, digits or _.`)
        if (reserved.has(name))
          return yield* ctx.reply(
            `/${name} is already a command of Backline or a plugin; choose another name.`
          )
        const url =
          /^\S+$/.test(answer.trim()) && /^https?:/i.test(answer.trim()) ? parseUrl(answer.trim()) : undefined
        if (url !== undefined && Either.isLeft(url)) return yield* ctx.reply(`Not added: ${url.left}.`)
        const by = command.from?.id ?? 0
        const secret = yield* store.put(
          command.chatId,
          name,
          url === undefined ? { kind: "text", text: answer } : { kind: "webhook", url: url.right },
          by
        )
        if (secret === null) return yield* ctx.reply(`/${name} now answers with its text in this group.`)
        yield* ctx.call("sendMessage", {
          chat_id: by,
          text: `The signing secret of /${name} in ${command.chatId}: ${secret}\nCheck the webhook-signature of Backline's requests with it (Standard Webhooks).`
        })
        yield* ctx.reply(
          `/${name} now asks ${url!.right} and posts its answer in this group. Its signing secret was sent to you in a private chat.`
        )
      })

    /** Runs a custom command of the group, if `command` is one. */
    const run = (command: CommandIssued, ctx: PluginContext<unknown>) =>
      Effect.gen(function* () {
        if (reserved.has(command.command)) return
        const found = yield* store.find(command.chatId, command.command)
        if (Option.isNone(found)) return
        if (found.value.kind === "text") return yield* ctx.reply(found.value.text)
        const topic = yield* directory.find(command.chatId, String(command.threadId))
        const dialog =
          command.topicKind === "dialog"
            ? yield* directory.dialogOfTopic(command.chatId, command.threadId)
            : undefined
        const body = JSON.stringify({
          type: "command.issued",
          timestamp: new Date(yield* Clock.currentTimeMillis).toISOString(),
          data: {
            command: command.command,
            args: command.args,
            text: command.text,
            chatId: command.chatId,
            threadId: command.threadId,
            messageId: command.messageId,
            topic: { threadId: command.threadId, name: topic?.name ?? null, kind: command.topicKind },
            client:
              dialog === undefined
                ? null
                : {
                    ...dialog.client,
                    id: dialog.user_id,
                    connection: dialog.connection,
                    status: dialog.status
                  },
            author: command.from
          }
        })
        const outcome = yield* signedPost({
          url: found.value.url,
          secret: found.value.secret,
          id: `cmd_${command.chatId}_${command.messageId}`,
          body,
          timeout: commandTimeout
        }).pipe(Effect.provideService(HttpClient.HttpClient, http))
        if (outcome._tag === "NoAnswer" || outcome.status >= 300)
          yield* ctx.log.warning(
            `/${command.command} in ${command.chatId}: ${outcome._tag === "NoAnswer" ? outcome.error : `HTTP ${outcome.status}`}`
          )
        yield* ctx.reply(answerText(command.command, outcome))
      })

    return definePlugin({
      id: "custom-commands",
      description: "Commands admins define in a group with /cmd: a fixed answer, or one a web service gives",
      on: {
        "group.commandIssued": (command, ctx) =>
          command.addressedTo === null ? run(command, ctx as PluginContext<unknown>) : Effect.void
      },
      commands: [
        {
          name: "cmd",
          description: "Define this group's own commands: /cmd add|list|remove",
          args: "add /<name> <text|url> | list | remove /<name>",
          adminOnly: true,
          run: (command, ctx) =>
            Effect.gen(function* () {
              const [action, rest] = split(command.args)
              switch (action) {
                case "add":
                  return yield* add(command, rest, ctx)
                case "list": {
                  const commands = yield* store.list(command.chatId)
                  return yield* ctx.reply(
                    commands.length === 0
                      ? "This group has no commands of its own. /cmd add /<name> <text|url> adds one."
                      : `This group's commands:\n${commands.map(describe).join("\n")}`
                  )
                }
                case "remove": {
                  const name = rest.trim().replace(/^\//, "").toLowerCase()
                  if (name === "") return yield* ctx.reply(`Usage: /cmd remove /<name>`)
                  const removed = yield* store.remove(command.chatId, name)
                  return yield* ctx.reply(
                    removed ? `/${name} is removed.` : `This group has no command /${name}.`
                  )
                }
                default:
                  return yield* ctx.reply(`Usage:\n${usage}`)
              }
            })
        }
      ]
    })
  })
