import { Effect, Option, Schema } from "effect"
import { GENERAL } from "../../machines/group.messages.ts"
import { definePlugin, type PluginContext } from "../plugins/definePlugin.ts"
import type { LoadedPlugin } from "../plugins/PluginRegistry.ts"
import { NoticeGroups } from "./NoticeGroups.ts"
import { noticesPluginId } from "./NoticeEvents.ts"
import { topicLink } from "./WorkspaceTopics.ts"

export { noticesPluginId }

/** A flood wait shorter than this passes unannounced: Telegram asks for short ones routinely. */
export const floodNoticeSeconds = 60

type Context = PluginContext<unknown>

const Status = Schema.Literal("online", "floodWaiting", "unauthorized")

const statusKey = (connection: string) => `connection:${connection}`

/**
 * Backline's own notices, posted in General (thread 1) of the backend groups: a connection added
 * (first online), rate limited for long, refused by Telegram or back online; a plugin switched on
 * or off or configured by an admin outside General (in General the command's answer says it);
 * an event a plugin gave up on (a dead letter). A system plugin, always on.
 */
export const makeSystemNotices = Effect.gen(function* () {
  const groups = yield* NoticeGroups

  const toGeneral = (ctx: Context, chatIds: ReadonlyArray<number>, text: string) =>
    Effect.forEach(chatIds, (chatId) => ctx.post({ chatId, threadId: GENERAL }, text), { discard: true })

  /** Records the connection's status and answers the one recorded before, if any. */
  const swap = (ctx: Context, connection: string, status: typeof Status.Type) =>
    Effect.gen(function* () {
      const before = yield* ctx.storage.plugin.get(statusKey(connection), Status).pipe(Effect.orDie)
      yield* ctx.storage.plugin.set(statusKey(connection), status)
      return Option.getOrUndefined(before)
    })

  const plugin = definePlugin({
    id: noticesPluginId,
    description: "Backline's own notices in General: connections, plugin changes, dead letters",
    on: {
      "connection.online": (event, ctx) =>
        Effect.gen(function* () {
          const before = yield* swap(ctx, event.connection, "online")
          if (before === "online") return
          const text =
            before === undefined
              ? `Connection ${event.connection} added: online.`
              : `Connection ${event.connection} is back online.`
          yield* toGeneral(ctx, yield* groups.ofConnection(event.connection), text)
        }),
      "connection.floodWaiting": (event, ctx) =>
        Effect.gen(function* () {
          if (event.retryAfter < floodNoticeSeconds) return
          yield* swap(ctx, event.connection, "floodWaiting")
          yield* toGeneral(
            ctx,
            yield* groups.ofConnection(event.connection),
            `Connection ${event.connection}: Telegram asks it to wait ${event.retryAfter} s (flood limit); messages are held until then.`
          )
        }),
      "connection.unauthorized": (event, ctx) =>
        Effect.gen(function* () {
          yield* swap(ctx, event.connection, "unauthorized")
          yield* toGeneral(
            ctx,
            yield* groups.ofConnection(event.connection),
            `Connection ${event.connection} is failing: Telegram refused it (${event.reason || "no reason given"}). ` +
              "Check its token or session."
          )
        }),
      "plugin-admin.changed": (event, ctx) => {
        // In General the command's own answer is the notice.
        if (event.threadId === GENERAL) return Effect.void
        const where = event.here
          ? `in topic ${event.threadId} (${topicLink(event.chatId, event.threadId)})`
          : "in the whole group"
        const what =
          event.change === "configured"
            ? `${event.plugin}: ${event.key ?? "its configuration"} changed for the group`
            : `${event.plugin} switched ${event.change === "enabled" ? "on" : "off"} ${where}`
        const by = event.by === null ? "" : ` by user ${event.by}`
        return ctx.post({ chatId: event.chatId, threadId: GENERAL }, `Plugins: ${what}${by}.`)
      },
      "plugin-admin.deadLettered": (event, ctx) =>
        Effect.gen(function* () {
          const chatIds = event.groupId !== null && event.groupId < 0 ? [event.groupId] : yield* groups.all
          yield* toGeneral(
            ctx,
            chatIds,
            `Plugins: ${event.plugin} gave up on ${event.eventType} after ${event.attempts} attempt(s): ` +
              `${event.error.slice(0, 300)}. /plugin errors ${event.plugin} lists it, with a Retry button.`
          )
        })
    }
  })
  return { plugin, defaults: {}, enabled: true, system: true } satisfies LoadedPlugin
})
