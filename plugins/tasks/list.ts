import { Clock, Effect, Option, Schema } from "effect"
import type { CommandIssued, PluginContext } from "../../src/plugins/definePlugin.ts"
import { html, messageLink, named, Task, type Person } from "./card.ts"
import { formatDue } from "./due.ts"

export const listUsage = "Usage: /tasks [mine|@user|all]: open tasks of this topic, yours, someone's, or all."

/** At most this many lines; the rest is counted. */
const LIMIT = 30

/** The card's id: known, or found among the plugin's sent messages in the task's topic. */
export const findCard = <C>(task: Task, ctx: PluginContext<C>) =>
  task.card !== null
    ? Effect.succeed(Option.some(task.card))
    : Effect.map(ctx.sentMessages({ chatId: task.chatId, threadId: task.threadId }, 100), (sent) =>
        Option.map(
          Option.fromNullable(sent.find((message) => message.text === task.cardText)),
          (found) => found.messageId
        )
      )

const isPerson = (person: Person | null, id: number | undefined, username: string | undefined) =>
  person !== null &&
  ((id !== undefined && person.id === id) ||
    (username !== undefined && person.username?.toLowerCase() === username.toLowerCase()))

/** Answers `/tasks [mine|@user|all]`: the group's open tasks that match, linked to their cards. */
export const listTasks = <C extends { readonly timeZone: string }>(
  command: CommandIssued,
  ctx: PluginContext<C>
) =>
  Effect.gen(function* () {
    const arg = command.args.trim()
    const filter = arg.toLowerCase()
    const inTopic = filter === "" && command.threadId > 1
    if (!(filter === "" || filter === "all" || filter === "mine" || /^@[a-z][a-z0-9_]{3,31}$/.test(filter)))
      return yield* ctx.reply(listUsage)
    const tasks: Array<Task> = []
    for (const [key, value] of yield* ctx.storage.group.entries()) {
      if (!key.startsWith("task:")) continue
      const task = Schema.decodeUnknownOption(Task)(value)
      if (Option.isNone(task) || task.value.status !== "open") continue
      const t = task.value
      if (inTopic && t.threadId !== command.threadId) continue
      if (filter === "mine" && !isPerson(t.assignee, command.from?.id, command.from?.username)) continue
      if (filter.startsWith("@") && !isPerson(t.assignee, undefined, filter.slice(1))) continue
      tasks.push(t)
    }
    tasks.sort((a, b) => a.id - b.id)
    const title =
      filter === "mine"
        ? "Your open tasks"
        : filter.startsWith("@")
          ? `Open tasks of ${html(arg)}`
          : inTopic
            ? "Open tasks of this topic"
            : "Open tasks"
    if (tasks.length === 0) return yield* ctx.reply(`${title}: none.`)
    const now = yield* Clock.currentTimeMillis
    const lines: Array<string> = []
    for (const task of tasks.slice(0, LIMIT)) {
      const card = yield* findCard(task, ctx)
      const link = messageLink(
        task.chatId,
        task.threadId,
        Option.getOrElse(card, () => task.messageId)
      )
      const who = task.assignee === null ? "nobody yet" : named(task.assignee)
      const due =
        task.due === null
          ? ""
          : `, ${task.due < now ? "overdue since" : "due"} ${formatDue(task.due, ctx.config.timeZone)}`
      lines.push(`• <a href="${link}">#${task.id}</a> ${html(task.text)} — ${who}${due}`)
    }
    if (tasks.length > LIMIT) lines.push(`… and ${tasks.length - LIMIT} more.`)
    yield* ctx.reply(`${title} (${tasks.length}):\n${lines.join("\n")}`, {
      parse_mode: "HTML",
      link_preview_options: { is_disabled: true }
    })
  })
