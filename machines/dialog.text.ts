import type { DialogSettings } from "../src/domain/DialogSettings.ts"
import type { DialogContext, DialogStatus } from "./dialog.types.ts"
import type { MessageReceived } from "../src/domain/Events.ts"
import type { OutboxSend } from "../src/domain/Reserved.ts"

/** The mark a topic's title starts with, by status. */
export const statusMarks: Readonly<Record<DialogStatus, string>> = {
  new: "🔴",
  opening: "🔴",
  awaitingTeam: "🔴",
  answered: "🟢",
  onHold: "🟡",
  closed: "⚪"
}

export const nameOf = (context: DialogContext) =>
  context.client === null
    ? `Client ${context.peerId}`
    : [context.client.first_name, context.client.last_name].filter(Boolean).join(" ")

/** The topic's title: the status mark and the client's name (Telegram allows 128 characters). */
export const titleOf = (context: DialogContext, status: DialogStatus) =>
  `${statusMarks[status]} ${nameOf(context)}`.slice(0, 128)

/** The client card: the first message of the topic, and the answer to `/info`. */
export const cardOf = (context: DialogContext) => {
  const client = context.client
  const lines = [
    `👤 ${nameOf(context)}`,
    client?.username === undefined ? null : `@${client.username}`,
    `id ${context.peerId}`,
    client?.language_code === undefined ? null : `language ${client.language_code}`,
    client?.is_premium === true ? "Telegram Premium" : null,
    context.startParam === null ? null : `/start ${context.startParam}`,
    `via ${context.connection}`
  ]
  return lines.filter((line) => line !== null).join("\n")
}

const escapeMarkdown = (text: string) => text.replace(/([_*`[])/g, "\\$1")

/** The welcome message for the client, or nothing when WELCOME is OFF. */
export const welcomeOf = (context: DialogContext, settings: DialogSettings): OutboxSend | undefined =>
  settings.welcome === null
    ? undefined
    : send(context, context.peerId, "sendMessage", {
        text: settings.welcome.replaceAll("{title}", escapeMarkdown(nameOf(context))),
        parse_mode: "Markdown"
      })

export const textOf = (event: MessageReceived) => event.message.text ?? event.message.caption ?? ""

/** The command a message starts with (`/close@backline_bot now` → `close`), if it is one. */
export const commandOf = (event: MessageReceived): string | undefined =>
  /^\/([a-z_]+)(?:@\w+)?(?:\s|$)/i.exec(textOf(event))?.[1]?.toLowerCase()

/** `/start` alone: `null`; `/start <param>`: the parameter; anything else: `undefined`. */
export const startParamOf = (event: MessageReceived): string | null | undefined => {
  const match = /^\/start(?:@\w+)?(?:\s+(\S+))?\s*$/.exec(textOf(event))
  return match === null ? undefined : (match[1] ?? null)
}

export const send = (
  context: DialogContext,
  chatId: number,
  method: string,
  params: Record<string, unknown>,
  options: { readonly replyAs?: string; readonly reportFailure?: boolean } = {}
): OutboxSend => ({ type: "outbox.send", connection: context.connection, chatId, method, params, ...options })

/** Renames the topic to show `status`. */
export const retitle = (context: DialogContext, status: DialogStatus) =>
  send(context, context.groupId!, "editForumTopic", {
    message_thread_id: context.threadId,
    name: titleOf(context, status)
  })

/** Asks for a (new) topic; its result comes back as `dialog.topicCreated`. */
export const openTopic = (context: DialogContext, groupId: number) =>
  send(
    context,
    groupId,
    "createForumTopic",
    { name: titleOf(context, "awaitingTeam") },
    { replyAs: "dialog.topicCreated" }
  )

/** Whether Telegram refused a call because the topic no longer exists. */
export const topicGone = (description: string) =>
  /thread not found|TOPIC_DELETED|TOPIC_ID_INVALID/i.test(description)
