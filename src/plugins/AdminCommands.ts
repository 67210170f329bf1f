import { Effect, Either, Layer, Option } from "effect"
import { ChatAdmins } from "../telegram/ChatAdmins.ts"
import {
  adminCommandMenu,
  adminPluginId,
  parsePluginCommand,
  retryButtonData,
  retryButtonPlugin,
  usage,
  type AdminRequest
} from "./AdminCommandParse.ts"
import {
  configLines,
  configRefusedReply,
  configReply,
  configSetReply,
  errorsReply,
  helpReply,
  listReply,
  retriedReply,
  retryRefused,
  switchReply,
  unknownPluginReply
} from "./AdminReplies.ts"
import { definePlugin, type CommandIssued, type PluginContext } from "./definePlugin.ts"
import { PluginRegistry, type LoadedPlugin } from "./PluginRegistry.ts"
import { PluginRetries } from "./PluginRetries.ts"
import { PluginSettings } from "./PluginSettings.ts"
// The events it emits for the system notices in General (`plugin-admin.changed`).
import type {} from "../workspace/NoticeEvents.ts"

type Context = PluginContext<unknown>

/**
 * The admin commands (`/plugins`, `/plugin enable|disable|config|help|errors`) as a system
 * plugin over the deployment's `plugins`: on everywhere, left out of `/plugins`, its commands
 * admin-only (the host asks ChatAdmins before it runs one). Settings are written at once
 * (`plugin_setting`); answers go to the topic the command was written in. It also forgets
 * ChatAdmins' answer about a member whose status changed, and runs the Retry button of
 * `/plugin errors`.
 */
export const makeAdminPlugin = (plugins: ReadonlyArray<LoadedPlugin>) =>
  Effect.gen(function* () {
    const settings = yield* PluginSettings
    const retries = yield* PluginRetries
    const admins = yield* ChatAdmins
    const managed = (id: string) =>
      Option.fromNullable(plugins.find((loaded) => !loaded.system && loaded.plugin.id === id))

    /** Runs `then` with the plugin `id`, or answers that there is none. */
    const withPlugin = (id: string, ctx: Context, then: (loaded: LoadedPlugin) => Effect.Effect<void>) =>
      Option.match(managed(id), { onNone: () => ctx.reply(unknownPluginReply(id)), onSome: then })

    const linesHere = (loaded: LoadedPlugin, command: CommandIssued) =>
      Effect.gen(function* () {
        const place = { chatId: command.chatId, threadId: command.threadId }
        const effective = yield* settings.resolve(loaded, place)
        return configLines(loaded, effective, yield* settings.inGroup(command.chatId), command.threadId)
      })

    const respond = (request: AdminRequest, command: CommandIssued, ctx: Context): Effect.Effect<void> => {
      const group = { chatId: command.chatId }
      const here = { chatId: command.chatId, threadId: command.threadId }
      const by = command.from?.id
      switch (request._tag) {
        case "Usage":
          return ctx.reply(`${request.problem}\n\n${usage}`)
        case "List":
          return Effect.forEach(
            plugins.filter((loaded) => !loaded.system),
            (loaded) =>
              Effect.map(
                Effect.all([settings.resolve(loaded, group), settings.resolve(loaded, here)]),
                ([inGroup, inTopic]) => ({ loaded, group: inGroup, here: inTopic })
              )
          ).pipe(Effect.flatMap((rows) => ctx.reply(listReply(rows))))
        case "Switch":
          return withPlugin(request.plugin, ctx, (loaded) =>
            Effect.gen(function* () {
              yield* settings.setEnabled(request.plugin, request.here ? here : group, request.enabled, by)
              yield* ctx.emit({
                type: "plugin-admin.changed",
                ...here,
                plugin: request.plugin,
                change: request.enabled ? "enabled" : "disabled",
                here: request.here,
                by: by ?? null
              })
              const inForce = yield* settings.resolve(loaded, here)
              yield* ctx.reply(switchReply(request.plugin, request.enabled, request.here, inForce))
            }).pipe(Effect.orDie)
          )
        case "ShowConfig":
          return withPlugin(request.plugin, ctx, (loaded) =>
            Effect.flatMap(linesHere(loaded, command), (lines) =>
              ctx.reply(configReply(request.plugin, lines))
            )
          )
        case "SetConfig":
          return withPlugin(request.plugin, ctx, (loaded) =>
            settings.setConfigText(request.plugin, group, request.key, request.value, by).pipe(
              Effect.zipRight(
                ctx.emit({
                  type: "plugin-admin.changed",
                  ...here,
                  plugin: request.plugin,
                  change: "configured",
                  here: false,
                  key: request.key,
                  by: by ?? null
                })
              ),
              Effect.zipRight(settings.resolve(loaded, group)),
              Effect.flatMap((inGroup) => {
                const decoded = Either.getOrUndefined(inGroup.decoded) as Record<string, unknown> | undefined
                return ctx.reply(configSetReply(request.plugin, request.key, decoded?.[request.key]))
              }),
              Effect.catchTags({
                PluginConfigInvalid: (error) => ctx.reply(configRefusedReply(request.plugin, error.detail)),
                UnknownPlugin: () => ctx.reply(unknownPluginReply(request.plugin))
              })
            )
          )
        case "Help":
          return withPlugin(request.plugin, ctx, (loaded) =>
            Effect.flatMap(linesHere(loaded, command), (lines) => ctx.reply(helpReply(loaded.plugin, lines)))
          )
        case "Errors":
          return withPlugin(request.plugin, ctx, () =>
            Effect.gen(function* () {
              const dead = yield* retries.deadLetters(request.plugin, 10, command.chatId)
              const data = retryButtonData(request.plugin)
              yield* ctx.reply(
                errorsReply(request.plugin, dead),
                dead.length === 0 || data === undefined
                  ? {}
                  : { reply_markup: { inline_keyboard: [[{ text: "Retry", callback_data: data }]] } }
              )
            })
          )
      }
    }

    const plugin = definePlugin({
      id: adminPluginId,
      description: "Backline's admin commands for plugins",
      on: {
        "group.memberChanged": (event) => admins.forget(event.chatId, event.member.id),
        "group.buttonPressed": (event, ctx) => {
          const target = retryButtonPlugin(event.data)
          if (target === undefined) return Effect.void
          const answer = (text: string) =>
            ctx.call("answerCallbackQuery", {
              chat_id: event.chatId,
              callback_query_id: event.callbackId,
              text
            })
          return Effect.gen(function* () {
            if (!(yield* ctx.isAdmin(event.from.id))) return yield* answer(retryRefused)
            if (Option.isNone(managed(target))) return yield* answer(unknownPluginReply(target))
            const dead = yield* retries.deadLetters(target, 1_000, event.chatId)
            const count = yield* retries.retry(
              target,
              dead.map((letter) => letter.id)
            )
            yield* answer(retriedReply(target, count))
          })
        }
      },
      commands: adminCommandMenu.map((entry) => ({
        ...entry,
        adminOnly: true,
        run: (command: CommandIssued, ctx: Context) =>
          respond(
            entry.name === "plugins" ? { _tag: "List" } : parsePluginCommand(command.args),
            command,
            ctx
          )
      }))
    })
    return { plugin, defaults: {}, enabled: true, system: true } satisfies LoadedPlugin
  })

/**
 * The registry of a deployment: its `plugins`, then the admin commands over them. The admin
 * plugin's ChatAdmins is the process' one (layers are shared by reference within a build), so a
 * membership change it hears clears the answers every plugin's `isAdmin` reads.
 */
export const withAdminCommands = (plugins: ReadonlyArray<LoadedPlugin>) =>
  Layer.unwrapEffect(
    Effect.map(makeAdminPlugin(plugins), (admin) => PluginRegistry.layer([...plugins, admin]))
  ).pipe(
    Layer.provide(
      Layer.mergeAll(
        // Its own settings service, over the plugins it manages (it is not one of them).
        Layer.fresh(PluginSettings.Default).pipe(Layer.provide(PluginRegistry.layer(plugins))),
        PluginRetries.Default,
        ChatAdmins.Default
      )
    )
  )
