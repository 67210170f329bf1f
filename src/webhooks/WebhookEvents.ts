import { Either } from "effect"
import { hostNamespaces, isEmittedRow } from "../plugins/PluginEvents.ts"
import type { JournalRow } from "../plugins/PluginJournal.ts"

/** The events a subscription names that are Backline's own; plugins' events are named `<plugin id>.<fact>`. */
export const builtInEvents = [
  "dialog.opened",
  "dialog.reopened",
  "dialog.closed",
  "message.received",
  "message.sent",
  "task.changed"
] as const

// Facts of actors and the host, not plugins: a subscription cannot name `group.…` and the like.
const notPlugins = new Set<string>([...hostNamespaces, "message", "task"])

/**
 * The event names of `text` (`dialog.opened,message.received`), or why one is not a name a
 * subscription can have.
 */
export const parseEvents = (text: string): Either.Either<ReadonlyArray<string>, string> => {
  const names = [...new Set(text.split(/[\s,]+/).filter((name) => name !== ""))]
  if (names.length === 0)
    return Either.left(`name at least one event: ${builtInEvents.join(", ")}, or <plugin>.<fact>`)
  for (const name of names) {
    if ((builtInEvents as ReadonlyArray<string>).includes(name)) continue
    if (name === "tasks.changed") return Either.left(`"tasks.changed" is named task.changed here`)
    const match = /^([a-z][a-z0-9-]*)\.[A-Za-z][A-Za-z0-9]*$/.exec(name)
    if (match === null || notPlugins.has(match[1]!))
      return Either.left(
        `"${name}" is not an event: ${builtInEvents.join(", ")}, or a plugin's <plugin>.<fact>`
      )
  }
  return Either.right(names)
}

/** Whether `url` is an http(s) URL a subscription or custom command can call, or why not. */
export const parseUrl = (text: string): Either.Either<string, string> => {
  try {
    const url = new URL(text)
    return url.protocol === "http:" || url.protocol === "https:"
      ? Either.right(url.toString())
      : Either.left(`"${text}" is not an http(s) URL`)
  } catch {
    return Either.left(`"${text}" is not an http(s) URL`)
  }
}

/** One event for the group `chatId`, as subscribers receive it: `{ type, timestamp, data }`. */
export interface OutboundEvent {
  readonly type: string
  readonly chatId: number
  readonly data: Readonly<Record<string, unknown>>
}

/** What a journal row needs beyond itself: the dialog's status before it, the message it is about. */
export interface RowContext {
  readonly previousStatus: string | undefined
  readonly message: Readonly<Record<string, unknown>> | undefined
}

const withoutType = (event: Readonly<Record<string, unknown>>) => {
  const { type: _type, ...rest } = event
  return rest
}

/** The text or caption of a Telegram message, or `null`. */
const textOf = (message: Readonly<Record<string, unknown>> | undefined) => {
  const text = message?.["text"] ?? message?.["caption"]
  return typeof text === "string" ? text : null
}

/**
 * The outbound event a journal row is, if any: a dialog's facts (opened, reopened, closed, a
 * client's message, a team's answer), the tasks plugin's `tasks.changed` as `task.changed`, and
 * what other plugins emit, under their own names. A row that names no group is none.
 */
export const outboundOf = (row: JournalRow, context: RowContext): OutboundEvent | undefined => {
  const event = row.event
  const chatId = event["chatId"]
  if (typeof chatId !== "number") return undefined
  const data = withoutType(event)
  const make = (type: string, extra: Record<string, unknown> = {}) => ({
    type,
    chatId,
    data: { ...data, ...extra }
  })
  switch (row.type) {
    case "dialog.opened":
      return make("dialog.opened")
    case "dialog.statusChanged":
      if (event["status"] === "closed") return make("dialog.closed")
      if (event["status"] === "awaitingTeam" && context.previousStatus === "closed")
        return make("dialog.reopened")
      return undefined
    case "dialog.clientWrote":
      return make("message.received", { text: textOf(context.message), message: context.message ?? null })
    case "dialog.teamAnswered":
      // A plugin's answer (`dialog.answer`) is the bot's own message, never in the inbox: the fact has its text.
      return make("message.sent", {
        text: textOf(context.message) ?? (typeof event["text"] === "string" ? event["text"] : null),
        message: context.message ?? null
      })
  }
  if (!isEmittedRow(row)) return undefined
  return row.type === "tasks.changed" ? make("task.changed") : make(row.type)
}

/** The JSON body of an event as sent: `{"type":…,"timestamp":…,"data":{…}}`. */
export const bodyOf = (event: OutboundEvent, at: Date) =>
  JSON.stringify({ type: event.type, timestamp: at.toISOString(), data: event.data })
