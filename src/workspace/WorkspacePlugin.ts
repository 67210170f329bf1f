import { Effect, Option } from "effect"
import { GENERAL } from "../../machines/group.messages.ts"
import { definePlugin, type CommandIssued, type PluginContext } from "../plugins/definePlugin.ts"
import type { LoadedPlugin } from "../plugins/PluginRegistry.ts"
import { PluginSettings } from "../plugins/PluginSettings.ts"
import { SnapshotStore } from "../actors/SnapshotStore.ts"
import { listReply, setupReply, usage, type SetupLine } from "./WorkspaceReplies.ts"
import {
  groupTopics,
  standardOf,
  standardTopics,
  topicOfKind,
  type StandardTopic
} from "./WorkspaceTopics.ts"

type Context = PluginContext<unknown>

/** The id of the system plugin that holds `/workspace`. */
export const workspacePluginId = "workspace"

/** Whether the command's author administers the group (an anonymous admin posts as the group). */
const byAdmin = (command: CommandIssued, ctx: Context) =>
  command.message.sender_chat?.id === command.chatId
    ? Effect.succeed(true)
    : ctx.isAdmin(command.from?.id ?? 0, command.chatId)

/**
 * `/workspace` as a system plugin over the deployment's `plugins`: lists the group's topics,
 * their kinds and the plugins on in each; `/workspace setup` (admins) creates the standard topics
 * the group lacks through its group actor; `/workspace use <kind> here` (admins) adopts a topic.
 * When a topic gets a workspace kind (`group.topicKindSet`), the matching plugin is switched on
 * there, unless an admin already decided for that topic, and General is told.
 */
export const makeWorkspacePlugin = (plugins: ReadonlyArray<LoadedPlugin>) =>
  Effect.gen(function* () {
    const settings = yield* PluginSettings
    const snapshots = yield* SnapshotStore
    const managed = plugins.filter((loaded) => !loaded.system)
    const loadedOf = (id: string | null) =>
      Option.fromNullable(id === null ? undefined : managed.find((loaded) => loaded.plugin.id === id))
    const topics = (chatId: number) => Effect.provideService(groupTopics(chatId), SnapshotStore, snapshots)

    /** Switches the topic's plugin on unless the topic has its own setting; answers what happened. */
    const ensurePlugin = (standard: StandardTopic, chatId: number, threadId: number) =>
      Option.match(loadedOf(standard.plugin), {
        onNone: () => Effect.succeed(standard.plugin === null ? ("none" as const) : ("missing" as const)),
        onSome: (loaded) =>
          Effect.gen(function* () {
            const here = yield* settings.resolve(loaded, { chatId, threadId })
            if (here.enabledBy === "topic") return here.enabled ? ("on" as const) : ("off" as const)
            yield* settings.setEnabled(loaded.plugin.id, { chatId, threadId }, true).pipe(Effect.orDie)
            return "enabled" as const
          })
      })

    const setup = (command: CommandIssued, ctx: Context) =>
      Effect.gen(function* () {
        const found = yield* topics(command.chatId)
        const lines: Array<SetupLine> = []
        for (const standard of standardTopics) {
          const existing = topicOfKind(found, standard.kind)
          if (existing !== undefined) {
            const plugin = yield* ensurePlugin(standard, command.chatId, existing.threadId)
            lines.push({ standard, state: "kept", topic: existing, plugin })
          } else if (found.pending.includes(standard.kind)) {
            lines.push({ standard, state: "pending", plugin: "later" })
          } else {
            yield* ctx.send("group", command.chatId, {
              type: "group.createTopic",
              connection: command.connection,
              kind: standard.kind,
              name: standard.name,
              iconColor: standard.iconColor
            })
            lines.push({ standard, state: "creating", plugin: "later" })
          }
        }
        const missing = standardTopics.flatMap((standard) =>
          standard.plugin !== null && Option.isNone(loadedOf(standard.plugin)) ? [standard.plugin] : []
        )
        yield* ctx.reply(setupReply(lines, missing))
      })

    const adopt = (command: CommandIssued, ctx: Context, kind: string) =>
      Effect.gen(function* () {
        const standard = standardOf(kind)
        if (standard === undefined) return yield* ctx.reply(`"${kind}" is no workspace kind.\n\n${usage}`)
        if (command.threadId === GENERAL)
          return yield* ctx.reply("General stays General: write /workspace use <kind> here in a topic.")
        yield* ctx.send("group", command.chatId, {
          type: "group.setTopicKind",
          threadId: command.threadId,
          kind: standard.kind
        })
        yield* ctx.reply(`This topic is now the team's ${standard.name}.`)
      })

    const list = (command: CommandIssued, ctx: Context) =>
      Effect.gen(function* () {
        const found = yield* topics(command.chatId)
        const general = { threadId: GENERAL, name: "General", kind: "general" as const, closed: false }
        const shown = found.topics.filter((topic) => topic.kind !== "dialog" && topic.threadId !== GENERAL)
        const rows = yield* Effect.forEach(
          [found.topics.find((topic) => topic.threadId === GENERAL) ?? general, ...shown],
          (topic) =>
            Effect.map(
              Effect.filter(managed, (loaded) =>
                Effect.map(
                  settings.resolve(loaded, { chatId: command.chatId, threadId: topic.threadId }),
                  (here) => here.enabled
                )
              ),
              (on) => ({ topic, plugins: on.map((loaded) => loaded.plugin.id) })
            )
        )
        const dialogs = found.topics.filter((topic) => topic.kind === "dialog").length
        yield* ctx.reply(listReply(command.chatId, rows, dialogs, found.pending))
      })

    const run = (command: CommandIssued, ctx: Context) => {
      const words = command.args
        .toLowerCase()
        .split(/\s+/)
        .filter((word) => word !== "")
      if (words.length === 0) return list(command, ctx)
      const admin = (then: Effect.Effect<void>) =>
        Effect.flatMap(byAdmin(command, ctx), (yes) =>
          yes ? then : ctx.reply(`/workspace ${words[0]} is for the group's admins only.`)
        )
      if (words[0] === "setup" && words.length === 1) return admin(setup(command, ctx))
      if (words[0] === "use" && words.length === 3 && words[2] === "here")
        return admin(adopt(command, ctx, words[1]!))
      return ctx.reply(usage)
    }

    const plugin = definePlugin({
      id: workspacePluginId,
      description: "The team's workspace topics: /workspace, /workspace setup, /workspace use <kind> here",
      on: {
        "group.topicKindSet": (event, ctx) =>
          Effect.gen(function* () {
            const standard = standardOf(event.kind)
            if (standard === undefined) return
            const plugin = yield* ensurePlugin(standard, event.chatId, event.threadId)
            const found = yield* topics(event.chatId)
            const name = found.topics.find((topic) => topic.threadId === event.threadId)?.name
            const what = `Workspace: ${name === null || name === undefined ? `topic ${event.threadId}` : `“${name}”`} is the team's ${standard.name}`
            const tail =
              plugin === "none"
                ? "; Backline does not post there."
                : plugin === "missing"
                  ? `; the ${standard.plugin} plugin is not loaded (add it to plugins.json).`
                  : plugin === "off"
                    ? `; ${standard.plugin} stays off there, as an admin set.`
                    : `; ${standard.plugin} is on there.`
            yield* ctx.post({ chatId: event.chatId, threadId: GENERAL }, what + tail)
          }),
        "group.topicCreationFailed": (event, ctx) =>
          ctx.post(
            { chatId: event.chatId, threadId: GENERAL },
            `Workspace: Telegram refused to create “${event.name}”: ${event.description}. ` +
              "Give the bot the right to manage topics, then run /workspace setup again."
          )
      },
      commands: [
        {
          name: "workspace",
          description: "The team's topics and what runs in each; setup and use <kind> here for admins",
          args: "[setup | use <kind> here]",
          run
        }
      ]
    })
    return { plugin, defaults: {}, enabled: true, system: true } satisfies LoadedPlugin
  })
