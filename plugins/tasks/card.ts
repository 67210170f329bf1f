import { Schema } from "effect"
import type { InlineKeyboardMarkup } from "grammy/types"
import { formatDue } from "./due.ts"

/** Someone a task names: a user Backline saw (with `id`), or only an `@username` given to `/task`. */
export const Person = Schema.Struct({
  id: Schema.optional(Schema.Number),
  username: Schema.optional(Schema.String),
  name: Schema.String
})
export type Person = typeof Person.Type

/** One task, kept in the group's storage under `task:<id>`. */
export const Task = Schema.Struct({
  id: Schema.Number,
  chatId: Schema.Number,
  threadId: Schema.Number,
  text: Schema.String,
  author: Person,
  assignee: Schema.NullOr(Person),
  /** When it is due (ms since epoch). */
  due: Schema.NullOr(Schema.Number),
  status: Schema.Literal("open", "done"),
  doneBy: Schema.NullOr(Person),
  /** The `/task` message (the card answers it). */
  messageId: Schema.Number,
  /** The card, once its id is known (a button pressed under it, or found among the sent messages). */
  card: Schema.NullOr(Schema.Number),
  /** The card's text as first sent, which finds it among the plugin's sent messages. */
  cardText: Schema.String,
  /** The message the task was made in reply to. */
  source: Schema.NullOr(
    Schema.Struct({ messageId: Schema.Number, threadId: Schema.Number, excerpt: Schema.String })
  )
})
export type Task = typeof Task.Type

export const taskKey = (id: number) => `task:${id}`

export const html = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")

/** A link to a message of a supergroup (`https://t.me/c/<id>/<thread>/<message>`). */
export const messageLink = (chatId: number, threadId: number, messageId: number) => {
  const internal = String(chatId).replace(/^-100/, "").replace(/^-/, "")
  return threadId > 1
    ? `https://t.me/c/${internal}/${threadId}/${messageId}`
    : `https://t.me/c/${internal}/${messageId}`
}

/** A person as a mention that notifies them: a `tg://user` link, or their `@username`. */
export const mention = (person: Person) =>
  person.id !== undefined
    ? `<a href="tg://user?id=${person.id}">${html(person.name)}</a>`
    : person.username !== undefined
      ? `@${person.username}`
      : html(person.name)

/** A person by name only (no notification): for cards and lists. */
export const named = (person: Person) =>
  person.username !== undefined && person.id === undefined ? `@${person.username}` : html(person.name)

/** The card's text (HTML). */
export const cardText = (task: Task, zone: string) => {
  const lines = [
    `${task.status === "done" ? "✅" : "📋"} <b>Task #${task.id}</b> · ${task.status}`,
    html(task.text),
    `👤 ${task.assignee === null ? "nobody yet" : named(task.assignee)}`
  ]
  if (task.due !== null) lines.push(`⏰ due ${formatDue(task.due, zone)}`)
  if (task.source !== null) {
    const link = messageLink(task.chatId, task.source.threadId, task.source.messageId)
    lines.push(`↩️ <a href="${link}">${html(task.source.excerpt)}</a>`)
  }
  lines.push(`Created by ${named(task.author)}`)
  if (task.status === "done" && task.doneBy !== null) lines.push(`Done by ${named(task.doneBy)}`)
  return lines.join("\n")
}

/** The buttons that apply: Take it (nobody has it) and Done while open, Reopen once done. */
export const keyboard = (task: Task): InlineKeyboardMarkup => {
  const button = (text: string, action: string) => ({ text, callback_data: `tasks:${action}:${task.id}` })
  if (task.status === "done") return { inline_keyboard: [[button("Reopen", "reopen")]] }
  return {
    inline_keyboard: [
      task.assignee === null ? [button("Take it", "take"), button("Done", "done")] : [button("Done", "done")]
    ]
  }
}

/** The button's action and task, from its `callback_data` (`tasks:take:3`). */
export const pressed = (data: string | null) => {
  const match = /^tasks:(take|done|reopen):(\d+)$/.exec(data ?? "")
  return match === null ? undefined : { action: match[1] as "take" | "done" | "reopen", id: Number(match[2]) }
}
