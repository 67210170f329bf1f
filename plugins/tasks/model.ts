import { Duration, Effect, Schema } from "effect"
import type { Message } from "grammy/types"
import type { Author } from "../../machines/index.ts"
import type { PluginContext } from "../../src/plugins/definePlugin.ts"
import { keyboard, type Person, type Task } from "./card.ts"
import { isTimeZone } from "./due.ts"

/**
 * A task was created, taken, done or reopened: what this plugin emits for other plugins (`notify`,
 * outbound webhooks), which subscribe with `on: { "tasks.changed": (event, ctx) => ... }`.
 *
 * @example
 * const line = (event: TaskChanged) => `Task #${event.taskId} ${event.action} by ${event.by?.first_name ?? "an admin"}`
 */
export interface TaskChanged {
  readonly type: "tasks.changed"
  /** The bot the task came through. */
  readonly connection: string
  readonly chatId: number
  /** The topic the task was made in (its card is there). */
  readonly threadId: number
  readonly taskId: number
  readonly action: "created" | "taken" | "done" | "reopened"
  readonly text: string
  readonly status: "open" | "done"
  /** The assignee's name (or `@username`), `null` while nobody has it. */
  readonly assignee: string | null
  /** When it is due (ISO 8601), or `null`. */
  readonly due: string | null
  /** Who did it (`null` for an anonymous admin). */
  readonly by: Author | null
}

export const Config = Schema.Struct({
  timeZone: Schema.optionalWith(
    Schema.String.pipe(
      Schema.filter((zone) => isTimeZone(zone) || "must be a time zone such as UTC or Europe/Berlin")
    ),
    { default: () => "UTC" }
  )
})
export type Config = typeof Config.Type
export type Ctx = PluginContext<Config>

export const personOf = (author: Author | null): Person =>
  author === null
    ? { name: "the group" }
    : {
        id: author.id,
        name: author.first_name,
        ...(author.username === undefined ? {} : { username: author.username })
      }

export const timerName = (chatId: number, id: number) => `due:${chatId}:${id}`

// What a task made in reply to a message links back to (not a topic's own first message).
export const sourceOf = (message: Message, threadId: number) => {
  const reply = message.reply_to_message
  if (reply === undefined || reply.message_id === threadId || reply.forum_topic_created !== undefined)
    return null
  const text = (reply.text ?? reply.caption ?? "").replace(/\s+/g, " ").trim()
  const quoted = text === "" ? "a message" : `“${text.length > 80 ? `${text.slice(0, 79)}…` : text}”`
  const who = reply.from !== undefined && !reply.from.is_bot ? `${reply.from.first_name}: ` : ""
  return { messageId: reply.message_id, threadId, excerpt: `${who}${quoted}` }
}

export const changed = (
  ctx: Ctx,
  connection: string,
  task: Task,
  action: TaskChanged["action"],
  by: Author | null
) =>
  ctx.emit({
    type: "tasks.changed",
    connection,
    chatId: task.chatId,
    threadId: task.threadId,
    taskId: task.id,
    action,
    text: task.text,
    status: task.status,
    assignee: task.assignee === null ? null : (task.assignee.username ?? task.assignee.name),
    due: task.due === null ? null : new Date(task.due).toISOString(),
    by
  })

export const cardOptions = (task: Task) => ({
  parse_mode: "HTML" as const,
  reply_markup: keyboard(task),
  link_preview_options: { is_disabled: true }
})

export const remindAt = (ctx: Ctx, task: Task, now: number) =>
  task.due !== null && task.due > now
    ? ctx.timers.set(timerName(task.chatId, task.id), Duration.millis(task.due - now), {
        type: "tasks.due",
        chatId: task.chatId,
        taskId: task.id
      })
    : Effect.void
