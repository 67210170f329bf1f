import { Clock, Effect, Option, Schema } from "effect"
import { definePlugin } from "../../src/plugins/definePlugin.ts"
import { onPress } from "./buttons.ts"
import { cardText, html, mention, Task, taskKey } from "./card.ts"
import { parseTask } from "./due.ts"
import { findCard, listTasks } from "./list.ts"
import { cardOptions, changed, Config, personOf, remindAt, sourceOf, type TaskChanged } from "./model.ts"

export type { TaskChanged } from "./model.ts"

declare module "../../src/plugins/definePlugin.ts" {
  interface PluginEmittedEvents {
    "tasks.changed": TaskChanged
  }
}

export default definePlugin({
  id: "tasks",
  description: "Task cards with buttons: /task, /tasks; due tasks remind their assignee",
  config: Config,
  on: {
    "group.buttonPressed": onPress,
    "timer.fired": (fired, ctx) =>
      Effect.gen(function* () {
        if (fired.event.type !== "tasks.due") return
        const chatId = Number(fired.event["chatId"])
        const found = yield* ctx.storage.at({ chatId }).get(taskKey(Number(fired.event["taskId"])), Task)
        if (Option.isNone(found) || found.value.status === "done") return
        const task = found.value
        const card = yield* findCard(task, ctx)
        const text =
          task.assignee === null
            ? `⏰ Task #${task.id} is due and nobody has taken it, ${mention(task.author)}: ${html(task.text)}`
            : `⏰ ${mention(task.assignee)}, task #${task.id} is due: ${html(task.text)}`
        yield* ctx.post({ chatId, threadId: task.threadId }, text, {
          parse_mode: "HTML",
          reply_parameters: {
            message_id: Option.getOrElse(card, () => task.messageId),
            allow_sending_without_reply: true
          }
        })
      })
  },
  commands: [
    {
      name: "task",
      description: "Create a task card: /task <text> [@assignee] [due]",
      args: "<text> [@assignee] [due]",
      run: (command, ctx) =>
        Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis
          const parsed = parseTask(command.args, now, ctx.config.timeZone)
          if (parsed._tag === "Invalid") return yield* ctx.reply(parsed.reason)
          const id = Option.getOrElse(yield* ctx.storage.group.get("next", Schema.Number), () => 1)
          const draft: Task = {
            id,
            chatId: command.chatId,
            threadId: command.threadId,
            text: parsed.text,
            author: personOf(command.from),
            assignee:
              parsed.assignee === undefined
                ? null
                : { username: parsed.assignee, name: `@${parsed.assignee}` },
            due: parsed.due ?? null,
            status: "open",
            doneBy: null,
            messageId: command.messageId,
            card: null,
            cardText: "",
            source: sourceOf(command.message, command.threadId)
          }
          const task = { ...draft, cardText: cardText(draft, ctx.config.timeZone) }
          yield* ctx.storage.group.set("next", id + 1)
          yield* ctx.storage.group.set(taskKey(id), task)
          yield* ctx.reply(task.cardText, cardOptions(task))
          yield* remindAt(ctx, task, now)
          yield* changed(ctx, command.connection, task, "created", command.from)
        })
    },
    {
      name: "tasks",
      description: "List open tasks: /tasks [mine|@user|all]",
      args: "[mine|@user|all]",
      run: (command, ctx) => listTasks(command, ctx)
    }
  ]
})
