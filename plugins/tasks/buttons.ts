import { Clock, Effect, Option } from "effect"
import type { PluginEventOf } from "../../src/plugins/definePlugin.ts"
import { cardText, pressed, Task, taskKey } from "./card.ts"
import { cardOptions, changed, personOf, remindAt, timerName, type Ctx, type TaskChanged } from "./model.ts"

/** A press of a card's button: the task changes, its card is edited in place, the press is answered. */
export const onPress = (event: PluginEventOf<"group.buttonPressed">, ctx: Ctx) =>
  Effect.gen(function* () {
    const press = pressed(event.data)
    if (press === undefined) return
    const answer = (text: string) =>
      ctx.call("answerCallbackQuery", {
        chat_id: event.chatId,
        callback_query_id: event.callbackId,
        text
      })
    const found = yield* ctx.storage.group.get(taskKey(press.id), Task)
    if (Option.isNone(found)) return yield* answer("This task no longer exists.")
    const task = found.value
    const by = personOf(event.from)
    const now = yield* Clock.currentTimeMillis
    let next: Task
    let action: TaskChanged["action"]
    if (press.action === "take") {
      if (task.status === "done") return yield* answer(`Task #${task.id} is done already.`)
      if (task.assignee !== null)
        return yield* answer(
          task.assignee.id === by.id ? "It is yours already." : `${task.assignee.name} has it already.`
        )
      ;[next, action] = [{ ...task, assignee: by }, "taken"]
    } else if (press.action === "done") {
      if (task.status === "done") return yield* answer(`Task #${task.id} is done already.`)
      ;[next, action] = [{ ...task, status: "done", doneBy: by }, "done"]
      yield* ctx.timers.cancel(timerName(task.chatId, task.id))
    } else {
      if (task.status === "open") return yield* answer(`Task #${task.id} is open already.`)
      ;[next, action] = [{ ...task, status: "open", doneBy: null }, "reopened"]
      yield* remindAt(ctx, next, now)
    }
    next = { ...next, card: event.messageId ?? task.card }
    yield* ctx.storage.group.set(taskKey(task.id), next)
    if (next.card !== null)
      yield* ctx.call("editMessageText", {
        chat_id: task.chatId,
        message_id: next.card,
        text: cardText(next, ctx.config.timeZone),
        ...cardOptions(next)
      })
    yield* answer(
      action === "taken"
        ? `Task #${task.id} is yours.`
        : action === "done"
          ? `Task #${task.id} is done.`
          : `Task #${task.id} is open again.`
    )
    yield* changed(ctx, event.connection, next, action, event.from)
  })
