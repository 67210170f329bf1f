import type { DialogSettings } from "../src/domain/DialogSettings.ts"
import { splitText } from "../src/domain/Text.ts"
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

/** The client's name as Telegram shows it. */
export const realNameOf = (context: DialogContext) =>
  context.client === null
    ? `Client ${context.peerId}`
    : [context.client.first_name, context.client.last_name].filter(Boolean).join(" ")

/** A stable pseudonym for the client (HIDE_INFO names): the same for the same client and connection. */
export const pseudonymOf = (context: DialogContext) => {
  let hash = 2166136261
  for (const char of `${context.connection}:${context.peerId}`)
    hash = Math.imul(hash ^ char.charCodeAt(0), 16777619)
  return `Client ${(hash >>> 0).toString(36).toUpperCase().padStart(7, "0")}`
}

/** The client's name as the team sees it: a pseudonym when HIDE_INFO is names. */
export const nameOf = (context: DialogContext) =>
  context.settings?.hideInfo === "names" ? pseudonymOf(context) : realNameOf(context)

/** The topic's title: the status mark and the client's name (Telegram allows 128 characters). */
export const titleOf = (context: DialogContext, status: DialogStatus) =>
  `${statusMarks[status]} ${nameOf(context)}`.slice(0, 128)

/** The client card: the first message of the topic, and the answer to `/info`. */
export const cardOf = (context: DialogContext) => {
  const hidden = context.settings?.hideInfo === "names"
  const client = hidden ? null : context.client
  const lines = [
    `👤 ${nameOf(context)}`,
    client?.username === undefined ? null : `@${client.username}`,
    hidden ? null : `id ${context.peerId}`,
    client?.language_code === undefined ? null : `language ${client.language_code}`,
    client?.is_premium === true ? "Telegram Premium" : null,
    context.startParam === null ? null : `/start ${context.startParam}`,
    `via ${context.connection}`
  ]
  return lines.filter((line) => line !== null).join("\n")
}

const escapeMarkdown = (text: string) => text.replace(/([_*`[])/g, "\\$1")

/** The welcome messages for the client (a long WELCOME is split), none when WELCOME is OFF. */
export const welcomeOf = (context: DialogContext, settings: DialogSettings): Array<OutboxSend> =>
  settings.welcome === null
    ? []
    : splitText(settings.welcome.replaceAll("{title}", escapeMarkdown(realNameOf(context)))).map((text) =>
        send(context, context.peerId, "sendMessage", { text, parse_mode: "Markdown" })
      )

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
    {
      name: titleOf(context, "awaitingTeam"),
      ...(context.settings?.iconColor == null ? {} : { icon_color: context.settings.iconColor })
    },
    { replyAs: "dialog.topicCreated" }
  )

/** Whether Telegram refused a call because the topic no longer exists. */
export const topicGone = (description: string) =>
  /thread not found|TOPIC_DELETED|TOPIC_ID_INVALID/i.test(description)

/** Why a client's message is not relayed (IGNORE_CHATS, WHITE_LIST, RESTRICTED_KEYWORDS_FRONTEND), if it is not. */
export const refusalOf = (
  settings: DialogSettings,
  peerId: number,
  event: MessageReceived
): "ignored" | "restricted" | undefined => {
  if (settings.ignoreChats.includes(peerId)) return "ignored"
  if (settings.whiteList.length > 0 && !settings.whiteList.includes(peerId)) return "ignored"
  const text = textOf(event).toLowerCase()
  return settings.restrictedKeywords.some((word) => text.includes(word)) ? "restricted" : undefined
}

export { maxTextLength, splitText } from "../src/domain/Text.ts"
