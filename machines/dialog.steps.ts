import {
  autoCloseTimer,
  byOf,
  copyTo,
  floodLimit,
  floodOf,
  flushAlbum,
  relay,
  relayEdit,
  recentWith,
  resendOf,
  failedIds,
  relayReaction,
  sideOf,
  statusChange
} from "./dialog.relay.ts"
import { keptAnswers } from "./dialog.guards.ts"
import {
  cardOf,
  commandOf,
  nameOf,
  openTopic,
  refusalOf,
  retitle,
  send,
  textOf,
  welcomeOf
} from "./dialog.text.ts"
import {
  isClient,
  isTeam,
  refOf,
  type DialogContext,
  type DialogEmitted,
  type DialogEvent
} from "./dialog.types.ts"

/** What a step may do: emit facts and reserved events, and change the context. */
export interface Enqueue {
  readonly emit: (event: DialogEmitted) => void
  readonly assign: (values: Partial<DialogContext>) => void
}

/** The arguments of a step. */
export interface StepArgs {
  readonly context: DialogContext
  readonly event: DialogEvent
  readonly enqueue: Enqueue
}

/** The dialog machine's actions, as plain functions of the context and the event. */
export const dialogSteps = {
  /** Asks for the topic (the first time, with the welcome). */
  open: ({ context, event, enqueue }: StepArgs) => {
    if (!isClient(context, event)) return
    const client = event.from ?? context.client
    const next = { ...context, groupId: event.backendGroup, client, settings: event.settings }
    enqueue.assign({
      ...next,
      waiting: [event.messageId],
      status: "opening",
      recent: recentWith(context, event)
    })
    enqueue.emit(openTopic(next, event.backendGroup))
    for (const welcome of welcomeOf(next, event.settings)) enqueue.emit(welcome)
  },
  /** `/new`: the team opens the topic first (no welcome: the client has not written). */
  openForTeam: ({ context, event, enqueue }: StepArgs) => {
    if (event.type !== "dialog.open") return
    const next = { ...context, groupId: event.backendGroup, settings: event.settings }
    enqueue.assign({ ...next, waiting: [], status: "opening" })
    enqueue.emit(openTopic(next, event.backendGroup))
  },
  /** `/new` for a dialog whose topic exists: point there. */
  pointToTopic: ({ context, enqueue }: StepArgs) =>
    enqueue.emit(
      send(context, context.groupId!, "sendMessage", {
        message_thread_id: context.threadId,
        text: "This is the client's topic: write here to reach them."
      })
    ),
  queue: ({ context, event, enqueue }: StepArgs) => {
    if (isClient(context, event))
      enqueue.assign({ waiting: [...context.waiting, event.messageId], recent: recentWith(context, event) })
  },
  topicReady: ({ context, event, enqueue }: StepArgs) => {
    if (event.type !== "dialog.topicCreated") return
    const open = {
      ...context,
      threadId: event.result.message_thread_id,
      waiting: [],
      topics: context.topics + 1
    }
    enqueue.assign({ threadId: open.threadId, waiting: [], status: "awaitingTeam", topics: open.topics })
    enqueue.emit({ type: "topic.claim", chatId: open.groupId!, threadId: open.threadId })
    if (context.threadId === null)
      enqueue.emit({ type: "dialog.opened", ...refOf(open), client: open.client })
    else enqueue.emit({ type: "dialog.topicRecreated", ...refOf(open), previousThreadId: context.threadId })
    const card = open.settings?.autoInfo === false || open.settings?.hideInfo === "card" ? [] : [cardOf(open)]
    const note =
      context.threadId === null ? [] : ["The previous topic of this dialog was deleted; it goes on here."]
    const intro = [...card, ...note].join("\n\n")
    if (intro !== "")
      enqueue.emit(
        send(
          open,
          open.groupId!,
          "sendMessage",
          { message_thread_id: open.threadId, text: intro },
          card.length > 0 ? { replyAs: "dialog.cardPosted" } : {}
        )
      )
    // One call for everything that waited keeps albums together and the order as written.
    for (let i = 0; i < context.waiting.length; i += 100)
      enqueue.emit(copyTo(open, "topic", context.waiting.slice(i, i + 100)))
    for (const messageId of context.waiting)
      enqueue.emit({ type: "dialog.clientWrote", ...refOf(open), messageId })
  },
  /** The topic is gone: what failed waits for a new one. */
  reopenTopic: ({ context, event, enqueue }: StepArgs) => {
    if (event.type !== "delivery.failed") return
    enqueue.assign({ waiting: failedIds(event.params), status: "opening", album: null })
    enqueue.emit(openTopic(context, context.groupId!))
  },
  /** More copies into the deleted topic failed while the new one is asked for: they wait for it too. */
  waitAlso: ({ context, event, enqueue }: StepArgs) => {
    if (event.type !== "delivery.failed") return
    const waiting = [...new Set([...context.waiting, ...failedIds(event.params)])].sort((a, b) => a - b)
    enqueue.assign({ waiting })
  },
  /** A copy into a topic deleted earlier failed after the new one opened: it goes to the new one. */
  copyAgain: ({ context, event, enqueue }: StepArgs) => {
    if (event.type === "delivery.failed") enqueue.emit(copyTo(context, "topic", failedIds(event.params)))
  },
  /** An answer deleted (with its topic) before it was copied: sent again by its content. */
  resendAnswer: ({ context, event, enqueue }: StepArgs) => {
    if (event.type !== "delivery.failed") return
    const found = context.answers.find((answer) => answer.messageId === event.params?.["message_id"])
    if (found !== undefined)
      return enqueue.emit(
        send(context, context.peerId, found.method, { ...found.params }, { reportFailure: true })
      )
    enqueue.emit(
      send(context, context.groupId!, "sendMessage", {
        message_thread_id: context.threadId,
        text: "⚠️ An answer was deleted before it could be sent to the client; please write it again."
      })
    )
  },
  relayToTopic: ({ context, event, enqueue }: StepArgs) => {
    if (!isClient(context, event)) return
    const { emits, album } = relay(context, event, "topic")
    const client = event.from ?? context.client
    enqueue.assign({ settings: event.settings, client, album, recent: recentWith(context, event) })
    for (const emitted of emits) enqueue.emit(emitted)
    const updated = { ...context, client, settings: event.settings }
    // Unless the status changes below (which rewrites the title anyway), a new name renames the topic.
    for (const update of cardUpdate(context, updated, context.status === "awaitingTeam")) enqueue.emit(update)
    enqueue.emit({ type: "dialog.clientWrote", ...refOf(context), messageId: event.messageId })
    if (context.status === "awaitingTeam") return
    if (context.status === "closed") {
      enqueue.emit(
        send(context, context.groupId!, "reopenForumTopic", { message_thread_id: context.threadId })
      )
      for (const welcome of welcomeOf(context, event.settings)) enqueue.emit(welcome)
    }
    enqueue.emit({ type: "timer.cancel", name: "autoClose" })
    for (const change of statusChange(context, "awaitingTeam", null)) enqueue.emit(change)
    enqueue.assign({ status: "awaitingTeam" })
  },
  cardPosted: ({ event, enqueue }: StepArgs) => {
    if (event.type === "dialog.cardPosted") enqueue.assign({ cardMessageId: event.messageId })
  },
  relayToClient: ({ context, event, enqueue }: StepArgs) => {
    if (!isTeam(context, event)) return
    const { emits, album } = relay(context, event, "client")
    for (const emitted of emits) enqueue.emit(emitted)
    enqueue.emit({
      type: "dialog.teamAnswered",
      ...refOf(context),
      messageId: event.messageId,
      by: event.from!.id
    })
    const resend = resendOf(event.message)
    const answers =
      resend === undefined ? context.answers : [...context.answers, { messageId: event.messageId, ...resend }]
    enqueue.assign({
      settings: event.settings,
      blocked: false,
      album,
      answers: answers.slice(-keptAnswers)
    })
  },
  sendAlbum: ({ context, enqueue }: StepArgs) => {
    for (const emitted of flushAlbum(context)) enqueue.emit(emitted)
    enqueue.assign({ album: null })
  },
  relayEdit: ({ context, event, enqueue }: StepArgs) => {
    if (event.type !== "message.edited" || textOf(event as never).startsWith("/")) return
    const to = sideOf(context, event)
    if (to !== undefined) for (const emitted of relayEdit(context, event, to)) enqueue.emit(emitted)
  },
  relayReaction: ({ context, event, enqueue }: StepArgs) => {
    if (event.type !== "reaction.changed" || sideOf(context, event) === undefined) return
    for (const emitted of relayReaction(context, event)) enqueue.emit(emitted)
  },
  close: ({ context, event, enqueue }: StepArgs) => {
    enqueue.emit({ type: "timer.cancel", name: "autoClose" })
    enqueue.emit(send(context, context.groupId!, "closeForumTopic", { message_thread_id: context.threadId }))
    for (const change of statusChange(context, "closed", byOf(event))) enqueue.emit(change)
    enqueue.assign({ status: "closed" })
  },
  hold: ({ context, event, enqueue }: StepArgs) => {
    enqueue.emit({ type: "timer.cancel", name: "autoClose" })
    for (const change of statusChange(context, "onHold", byOf(event))) enqueue.emit(change)
    enqueue.assign({ status: "onHold" })
  },
  /** The team answered (or `/wait`): AUTOCLOSE counts from now. */
  markAnswered: ({ context, event, enqueue }: StepArgs) => {
    const settings = event.type === "message.received" ? event.settings : context.settings
    if (settings !== null) enqueue.emit(autoCloseTimer(settings.autoCloseHours))
    for (const change of statusChange(context, "answered", byOf(event))) enqueue.emit(change)
    enqueue.assign({ status: "answered" })
  },
  postCard: ({ context, enqueue }: StepArgs) => {
    const hidden = context.settings?.hideInfo === "card"
    const text = hidden ? "The client card is hidden here (HIDE_INFO card)." : cardOf(context)
    enqueue.emit(
      send(context, context.groupId!, "sendMessage", { message_thread_id: context.threadId, text })
    )
  },
  /** A message the settings keep out: a restricted word is explained to the client, unless SILENT_MODE. */
  refuse: ({ context, event, enqueue }: StepArgs) => {
    if (!isClient(context, event)) return
    const flood = floodOf(context, event)
    if (flood === "muted") return
    if (flood === "flooding") {
      const until = event.message.date + floodLimit.muteSeconds
      enqueue.assign({ mutedUntil: until, recent: [] })
      enqueue.emit({
        type: "dialog.clientMuted",
        connection: context.connection,
        peerId: context.peerId,
        until
      })
      const minutes = Math.round(floodLimit.muteSeconds / 60)
      const text = `You are sending messages too fast. Messages sent in the next ${minutes} minutes will not reach the team.`
      if (!event.settings.silentMode) enqueue.emit(send(context, context.peerId, "sendMessage", { text }))
      return
    }
    if (event.settings.silentMode) return
    if (refusalOf(event.settings, context.peerId, event) !== "restricted") return
    enqueue.emit(
      send(context, context.peerId, "sendMessage", {
        text: "Your message was not delivered: it contains a word this chat does not accept.",
        reply_parameters: { message_id: event.messageId, allow_sending_without_reply: true }
      })
    )
  },
  /** LEAVE_CLOSED: the message joins the closed topic, which stays closed. */
  relayQuietly: ({ context, event, enqueue }: StepArgs) => {
    if (!isClient(context, event)) return
    enqueue.assign({ recent: recentWith(context, event) })
    enqueue.emit(copyTo(context, "topic", [event.messageId], event.replyTo))
    enqueue.emit({ type: "dialog.clientWrote", ...refOf(context), messageId: event.messageId })
  },
  /** `/ban` adds the client to IGNORE_CHATS (through the inbox plugin), `/unban` takes them off. */
  ban: ({ context, event, enqueue }: StepArgs) => {
    if (!isTeam(context, event)) return
    const unban = commandOf(event) === "unban"
    const note = (text: string) =>
      enqueue.emit(
        send(context, context.groupId!, "sendMessage", { message_thread_id: context.threadId, text })
      )
    if (event.mayBan !== true) return note(`Only admins who may ban users can use /${unban ? "un" : ""}ban.`)
    const by = event.from!.id
    enqueue.emit({ type: unban ? "dialog.clientUnbanned" : "dialog.clientBanned", ...refOf(context), by })
    note(
      unban
        ? "✅ The client is no longer banned: their messages arrive again."
        : "🚫 The client is banned: their messages are ignored (IGNORE_CHATS). /unban lifts it."
    )
  },
  noteBlocked: ({ context, enqueue }: StepArgs) => {
    enqueue.assign({ blocked: true })
    enqueue.emit({ type: "dialog.clientBlocked", ...refOf(context) })
    enqueue.emit(
      send(context, context.groupId!, "sendMessage", {
        message_thread_id: context.threadId,
        text: "⚠️ The client has blocked the bot: the last answer was not delivered."
      })
    )
  }
}

/** The client changed their name or details: the card is edited and the title follows the name. */
const cardUpdate = (before: DialogContext, after: DialogContext, rename: boolean): Array<DialogEmitted> => {
  if (before.client === null || after.client === null || after.threadId === null) return []
  const fields = ["first_name", "last_name", "username", "language_code", "is_premium"] as const
  if (fields.every((field) => before.client![field] === after.client![field])) return []
  const card =
    after.cardMessageId === null || after.settings?.hideInfo === "card"
      ? []
      : [
          send(after, after.groupId!, "editMessageText", {
            message_id: after.cardMessageId,
            text: cardOf(after)
          })
        ]
  const renamed = rename && nameOf(before) !== nameOf(after)
  return [
    ...card,
    ...(renamed ? [retitle(after, after.status === "opening" ? "awaitingTeam" : after.status)] : [])
  ]
}
