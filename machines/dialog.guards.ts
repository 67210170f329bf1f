import { floodOf, isExplicitReply } from "./dialog.relay.ts"
import { commandOf, refusalOf, startParamOf, textOf, topicGone } from "./dialog.text.ts"
import { isClient, isTeam, type DialogContext, type DialogEvent, type DialogMessage } from "./dialog.types.ts"

export type * from "./dialog.types.ts"

/** The arguments of a guard. */
interface Args {
  readonly context: DialogContext
  readonly event: DialogEvent
}

/** How many of the team's latest answers are kept for sending again (see `DialogContext.answers`). */
export const keptAnswers = 10

/**
 * Which topic a failed copy into the group was for, when Telegram says that topic is gone: the
 * current one, one deleted earlier (the dialog has a new topic by now), or the one the dialog is
 * already replacing (`opening`).
 */
const goneFrom = (
  context: DialogContext,
  event: DialogEvent
): "current" | "earlier" | "opening" | undefined => {
  if (event.type !== "delivery.failed" || !event.method.startsWith("copyMessage")) return undefined
  if (event.params?.["chat_id"] !== context.groupId || !topicGone(event.description)) return undefined
  if (context.status === "opening") return "opening"
  return event.params?.["message_thread_id"] === context.threadId ? "current" : "earlier"
}

/** Whether the connection's settings let a client's message through (see `refusalOf`). */
const accepted = (context: DialogContext, event: DialogMessage) =>
  refusalOf(event.settings, context.peerId, event) === undefined && floodOf(context, event) === undefined

/** The dialog machine's guards: which transition an event takes. */
export const dialogGuards = {
  clientStart: ({ context, event }: Args) =>
    isClient(context, event) && accepted(context, event) && startParamOf(event) !== undefined,
  fromClient: ({ context, event }: Args) => isClient(context, event) && accepted(context, event),
  refused: ({ context, event }: Args) => isClient(context, event) && !accepted(context, event),
  stayClosed: ({ context, event }: Args) =>
    isClient(context, event) && accepted(context, event) && event.settings.leaveClosed.includes("private"),
  close: ({ context, event }: Args) => isTeam(context, event) && commandOf(event) === "close",
  hold: ({ context, event }: Args) => isTeam(context, event) && commandOf(event) === "hold",
  wait: ({ context, event }: Args) => isTeam(context, event) && commandOf(event) === "wait",
  info: ({ context, event }: Args) => isTeam(context, event) && commandOf(event) === "info",
  ban: ({ context, event }: Args) => isTeam(context, event) && /^(un)?ban$/.test(commandOf(event) ?? ""),
  answer: ({ context, event }: Args) =>
    isTeam(context, event) &&
    !textOf(event).startsWith("/") &&
    (!event.settings.replyOnly || isExplicitReply(context, event)),
  topicGone: ({ context, event }: Args) => goneFrom(context, event) === "current",
  goneWhileOpening: ({ context, event }: Args) => goneFrom(context, event) === "opening",
  goneBefore: ({ context, event }: Args) => goneFrom(context, event) === "earlier",
  answerGone: ({ context, event }: Args) =>
    event.type === "delivery.failed" &&
    event.method === "copyMessage" &&
    event.params?.["chat_id"] === context.peerId &&
    /message to copy not found/i.test(event.description),
  blocked: ({ context, event }: Args) =>
    event.type === "delivery.failed" && event.code === 403 && event.params?.["chat_id"] === context.peerId
}
