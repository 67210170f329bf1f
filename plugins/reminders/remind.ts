import { Duration, Effect, Either, Option } from "effect"
import type { CommandIssued, PluginEventOf } from "../../src/plugins/definePlugin.ts"
import {
  html,
  mention,
  Reminder,
  reminderKey,
  reminderTimer,
  valuesOf,
  type Ctx,
  type Reminder as ReminderValue
} from "./shared.ts"
import { formatAt, parseWhen, whenUsage } from "./when.ts"

const snoozes = [
  { label: "+10 min", minutes: 10 },
  { label: "+1 h", minutes: 60 }
] as const

const buttonsFor = (id: number, withCancel: boolean) => [
  ...snoozes.map((snooze) => ({
    text: snooze.label,
    callback_data: `reminders:snooze:${id}:${snooze.minutes}`
  })),
  ...(withCancel ? [{ text: "Cancel", callback_data: `reminders:cancel:${id}` }] : [])
]

const schedule = (ctx: Ctx, reminder: ReminderValue, now: number) =>
  Effect.zipRight(
    ctx.storage.at({ chatId: reminder.chatId }).set(reminderKey(reminder.id), reminder),
    ctx.timers.set(
      reminderTimer(reminder.chatId, reminder.id),
      Duration.millis(Math.max(0, reminder.at - now)),
      {
        type: "reminders.remind",
        chatId: reminder.chatId,
        id: reminder.id
      }
    )
  )

/** `/remind <when> <text>`: a reminder in this topic, for its author. */
export const remind = (command: CommandIssued, ctx: Ctx) =>
  Effect.gen(function* () {
    if (command.from === null) return yield* ctx.reply("Reminders need an author to mention.")
    const now = Date.now()
    const when = parseWhen(command.args, now, ctx.config.timeZone)
    if (Either.isLeft(when)) return yield* ctx.reply(`${when.left}\nUsage: /remind <when> <text>`)
    const text = when.right.rest
    if (text === "") return yield* ctx.reply(`What should I remind you of? /remind ${command.args} <text>`)
    const reminder: ReminderValue = {
      id: command.messageId,
      chatId: command.chatId,
      threadId: command.threadId,
      at: when.right.at,
      text,
      author: { id: command.from.id, name: command.from.first_name },
      fired: false
    }
    yield* schedule(ctx, reminder, now)
    yield* ctx.reply(
      `⏰ I will remind you here at ${formatAt(reminder.at, ctx.config.timeZone)} (${ctx.config.timeZone}).`
    )
  })

/** `/reminders`: the reminders waiting in this topic, each with snooze and cancel buttons. */
export const list = (command: CommandIssued, ctx: Ctx) =>
  Effect.gen(function* () {
    const entries = yield* ctx.storage.group.entries()
    const all = valuesOf(entries, "reminder:", Reminder)
    // A fired reminder is kept a day for its snooze buttons, then forgotten.
    const stale = all.filter((reminder) => reminder.fired && reminder.at < Date.now() - 86_400_000)
    for (const reminder of stale) yield* ctx.storage.group.delete(reminderKey(reminder.id))
    const pending = all
      .filter((reminder) => !reminder.fired && reminder.threadId === command.threadId)
      .sort((a, b) => a.at - b.at)
      .slice(0, 20)
    if (pending.length === 0) return yield* ctx.reply(`No reminders in this topic. ${whenUsage}`)
    const lines = pending.map(
      (reminder, index) =>
        `${index + 1}. ${formatAt(reminder.at, ctx.config.timeZone)}: ${html(reminder.text)} (${html(reminder.author.name)})`
    )
    const keyboard = pending.map((reminder, index) =>
      buttonsFor(reminder.id, true).map((button) => ({ ...button, text: `${index + 1}: ${button.text}` }))
    )
    yield* ctx.reply(`<b>Reminders here</b> (${html(ctx.config.timeZone)})\n${lines.join("\n")}`, {
      parse_mode: "HTML",
      reply_markup: { inline_keyboard: keyboard }
    })
  })

/** A reminder's timer fell due: it posts in its topic, mentioning its author, with snooze buttons. */
export const fire = (chatId: number, id: number, ctx: Ctx) =>
  Effect.gen(function* () {
    const store = ctx.storage.at({ chatId })
    const found = yield* store.get(reminderKey(id), Reminder).pipe(Effect.orElseSucceed(() => Option.none()))
    if (Option.isNone(found) || found.value.fired) return
    const reminder = found.value
    yield* store.set(reminderKey(id), { ...reminder, fired: true })
    yield* ctx.post(
      { chatId, threadId: reminder.threadId },
      `⏰ ${mention(reminder.author)}, a reminder: ${html(reminder.text)}`,
      { parse_mode: "HTML", reply_markup: { inline_keyboard: [buttonsFor(id, false)] } }
    )
  })

/** Snooze (`reminders:snooze:<id>:<minutes>`) and cancel (`reminders:cancel:<id>`) buttons. */
export const press = (event: PluginEventOf<"group.buttonPressed">, ctx: Ctx, data: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const [action, rawId, rawMinutes] = data
    const answer = (text: string) =>
      ctx.call("answerCallbackQuery", { chat_id: event.chatId, callback_query_id: event.callbackId, text })
    const id = Number(rawId)
    const store = ctx.storage.group
    const found = yield* store.get(reminderKey(id), Reminder).pipe(Effect.orElseSucceed(() => Option.none()))
    if (Option.isNone(found)) return yield* answer("That reminder is gone.")
    const reminder = found.value
    if (action === "cancel") {
      yield* store.delete(reminderKey(id))
      yield* ctx.timers.cancel(reminderTimer(event.chatId, id))
      return yield* answer(`Cancelled: ${reminder.text}`.slice(0, 200))
    }
    const minutes = Number(rawMinutes)
    if (action !== "snooze" || !snoozes.some((snooze) => snooze.minutes === minutes))
      return yield* answer("?")
    const now = Date.now()
    // A pending reminder moves later; one that has fired comes again from now.
    const at = (reminder.fired ? now : Math.max(reminder.at, now)) + minutes * 60_000
    yield* schedule(ctx, { ...reminder, at, fired: false }, now)
    return yield* answer(`Snoozed to ${formatAt(at, ctx.config.timeZone)}`)
  })
