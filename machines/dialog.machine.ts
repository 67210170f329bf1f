import { enqueueActions, setup } from "xstate"
import {
  autoCloseTimer,
  byOf,
  copyTo,
  floodLimit,
  floodOf,
  flushAlbum,
  isExplicitReply,
  relay,
  relayEdit,
  recentWith,
  resendOf,
  failedIds,
  relayReaction,
  sideOf,
  statusChange
} from "./dialog.relay.ts"
import {
  cardOf,
  commandOf,
  openTopic,
  refusalOf,
  send,
  startParamOf,
  textOf,
  topicGone,
  welcomeOf
} from "./dialog.text.ts"
import {
  isClient,
  isTeam,
  parseKey,
  refOf,
  type DialogContext,
  type DialogEmitted,
  type DialogEvent,
  type DialogMessage
} from "./dialog.types.ts"

export type * from "./dialog.types.ts"

const types = {} as {
  context: DialogContext
  events: DialogEvent
  emitted: DialogEmitted
  input: { readonly key: string }
}

/** How many of the team's latest answers are kept for sending again (see `DialogContext.answers`). */
const keptAnswers = 10

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

/**
 * One client conversation ↔ one topic in the backend group; see docs/inbox.md. The client's first
 * real message asks for the topic (its result mailed back as `dialog.topicCreated`) and gets the
 * WELCOME text; messages wait until the topic exists, then follow the client card in order.
 * Operators answer in the topic (not commands, `/ ` comments or bots); `/close`, `/hold`, `/wait`
 * and `/info` act on the dialog; AUTOCLOSE closes it after the team's last answer; a closed dialog
 * reopens on the client's next message; a topic deleted by hand is opened anew. Albums, replies,
 * edits and reactions cross in both directions.
 */
export const dialogMachine = setup({
  types,
  guards: {
    clientStart: ({ context, event }) =>
      isClient(context, event) && accepted(context, event) && startParamOf(event) !== undefined,
    fromClient: ({ context, event }) => isClient(context, event) && accepted(context, event),
    refused: ({ context, event }) => isClient(context, event) && !accepted(context, event),
    stayClosed: ({ context, event }) =>
      isClient(context, event) && accepted(context, event) && event.settings.leaveClosed.includes("private"),
    close: ({ context, event }) => isTeam(context, event) && commandOf(event) === "close",
    hold: ({ context, event }) => isTeam(context, event) && commandOf(event) === "hold",
    wait: ({ context, event }) => isTeam(context, event) && commandOf(event) === "wait",
    info: ({ context, event }) => isTeam(context, event) && commandOf(event) === "info",
    ban: ({ context, event }) => isTeam(context, event) && /^(un)?ban$/.test(commandOf(event) ?? ""),
    answer: ({ context, event }) =>
      isTeam(context, event) &&
      !textOf(event).startsWith("/") &&
      (!event.settings.replyOnly || isExplicitReply(context, event)),
    topicGone: ({ context, event }) => goneFrom(context, event) === "current",
    goneWhileOpening: ({ context, event }) => goneFrom(context, event) === "opening",
    goneBefore: ({ context, event }) => goneFrom(context, event) === "earlier",
    answerGone: ({ context, event }) =>
      event.type === "delivery.failed" &&
      event.method === "copyMessage" &&
      event.params?.["chat_id"] === context.peerId &&
      /message to copy not found/i.test(event.description),
    blocked: ({ context, event }) =>
      event.type === "delivery.failed" && event.code === 403 && event.params?.["chat_id"] === context.peerId
  },
  actions: {
    /** Asks for the topic (the first time, with the welcome). */
    open: enqueueActions(({ context, event, enqueue }) => {
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
    }),
    /** `/new`: the team opens the topic first (no welcome: the client has not written). */
    openForTeam: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "dialog.open") return
      const next = { ...context, groupId: event.backendGroup, settings: event.settings }
      enqueue.assign({ ...next, waiting: [], status: "opening" })
      enqueue.emit(openTopic(next, event.backendGroup))
    }),
    /** `/new` for a dialog whose topic exists: point there. */
    pointToTopic: enqueueActions(({ context, enqueue }) =>
      enqueue.emit(
        send(context, context.groupId!, "sendMessage", {
          message_thread_id: context.threadId,
          text: "This is the client's topic: write here to reach them."
        })
      )
    ),
    queue: enqueueActions(({ context, event, enqueue }) => {
      if (isClient(context, event))
        enqueue.assign({ waiting: [...context.waiting, event.messageId], recent: recentWith(context, event) })
    }),
    topicReady: enqueueActions(({ context, event, enqueue }) => {
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
      const card =
        open.settings?.autoInfo === false || open.settings?.hideInfo === "card" ? [] : [cardOf(open)]
      const note =
        context.threadId === null ? [] : ["The previous topic of this dialog was deleted; it goes on here."]
      const intro = [...card, ...note].join("\n\n")
      if (intro !== "")
        enqueue.emit(
          send(open, open.groupId!, "sendMessage", { message_thread_id: open.threadId, text: intro })
        )
      // One call for everything that waited keeps albums together and the order as written.
      for (let i = 0; i < context.waiting.length; i += 100)
        enqueue.emit(copyTo(open, "topic", context.waiting.slice(i, i + 100)))
      for (const messageId of context.waiting)
        enqueue.emit({ type: "dialog.clientWrote", ...refOf(open), messageId })
    }),
    /** The topic is gone: what failed waits for a new one. */
    reopenTopic: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "delivery.failed") return
      enqueue.assign({ waiting: failedIds(event.params), status: "opening", album: null })
      enqueue.emit(openTopic(context, context.groupId!))
    }),
    /** More copies into the deleted topic failed while the new one is asked for: they wait for it too. */
    waitAlso: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "delivery.failed") return
      const waiting = [...new Set([...context.waiting, ...failedIds(event.params)])].sort((a, b) => a - b)
      enqueue.assign({ waiting })
    }),
    /** A copy into a topic deleted earlier failed after the new one opened: it goes to the new one. */
    copyAgain: enqueueActions(({ context, event, enqueue }) => {
      if (event.type === "delivery.failed") enqueue.emit(copyTo(context, "topic", failedIds(event.params)))
    }),
    /** An answer deleted (with its topic) before it was copied: sent again by its content. */
    resendAnswer: enqueueActions(({ context, event, enqueue }) => {
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
    }),
    relayToTopic: enqueueActions(({ context, event, enqueue }) => {
      if (!isClient(context, event)) return
      const { emits, album } = relay(context, event, "topic")
      enqueue.assign({
        settings: event.settings,
        client: event.from ?? context.client,
        album,
        recent: recentWith(context, event)
      })
      for (const emitted of emits) enqueue.emit(emitted)
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
    }),
    relayToClient: enqueueActions(({ context, event, enqueue }) => {
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
        resend === undefined
          ? context.answers
          : [...context.answers, { messageId: event.messageId, ...resend }]
      enqueue.assign({
        settings: event.settings,
        blocked: false,
        album,
        answers: answers.slice(-keptAnswers)
      })
    }),
    sendAlbum: enqueueActions(({ context, enqueue }) => {
      for (const emitted of flushAlbum(context)) enqueue.emit(emitted)
      enqueue.assign({ album: null })
    }),
    relayEdit: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "message.edited" || textOf(event as never).startsWith("/")) return
      const to = sideOf(context, event)
      if (to !== undefined) for (const emitted of relayEdit(context, event, to)) enqueue.emit(emitted)
    }),
    relayReaction: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "reaction.changed" || sideOf(context, event) === undefined) return
      for (const emitted of relayReaction(context, event)) enqueue.emit(emitted)
    }),
    close: enqueueActions(({ context, event, enqueue }) => {
      enqueue.emit({ type: "timer.cancel", name: "autoClose" })
      enqueue.emit(
        send(context, context.groupId!, "closeForumTopic", { message_thread_id: context.threadId })
      )
      for (const change of statusChange(context, "closed", byOf(event))) enqueue.emit(change)
      enqueue.assign({ status: "closed" })
    }),
    hold: enqueueActions(({ context, event, enqueue }) => {
      enqueue.emit({ type: "timer.cancel", name: "autoClose" })
      for (const change of statusChange(context, "onHold", byOf(event))) enqueue.emit(change)
      enqueue.assign({ status: "onHold" })
    }),
    /** The team answered (or `/wait`): AUTOCLOSE counts from now. */
    markAnswered: enqueueActions(({ context, event, enqueue }) => {
      const settings = event.type === "message.received" ? event.settings : context.settings
      if (settings !== null) enqueue.emit(autoCloseTimer(settings.autoCloseHours))
      for (const change of statusChange(context, "answered", byOf(event))) enqueue.emit(change)
      enqueue.assign({ status: "answered" })
    }),
    postCard: enqueueActions(({ context, enqueue }) => {
      const hidden = context.settings?.hideInfo === "card"
      const text = hidden ? "The client card is hidden here (HIDE_INFO card)." : cardOf(context)
      enqueue.emit(
        send(context, context.groupId!, "sendMessage", { message_thread_id: context.threadId, text })
      )
    }),
    /** A message the settings keep out: a restricted word is explained to the client, unless SILENT_MODE. */
    refuse: enqueueActions(({ context, event, enqueue }) => {
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
    }),
    /** LEAVE_CLOSED: the message joins the closed topic, which stays closed. */
    relayQuietly: enqueueActions(({ context, event, enqueue }) => {
      if (!isClient(context, event)) return
      enqueue.assign({ recent: recentWith(context, event) })
      enqueue.emit(copyTo(context, "topic", [event.messageId], event.replyTo))
      enqueue.emit({ type: "dialog.clientWrote", ...refOf(context), messageId: event.messageId })
    }),
    /** `/ban` adds the client to IGNORE_CHATS (through the inbox plugin), `/unban` takes them off. */
    ban: enqueueActions(({ context, event, enqueue }) => {
      if (!isTeam(context, event)) return
      const unban = commandOf(event) === "unban"
      const note = (text: string) =>
        enqueue.emit(
          send(context, context.groupId!, "sendMessage", { message_thread_id: context.threadId, text })
        )
      if (event.mayBan !== true)
        return note(`Only admins who may ban users can use /${unban ? "un" : ""}ban.`)
      const by = event.from!.id
      enqueue.emit({ type: unban ? "dialog.clientUnbanned" : "dialog.clientBanned", ...refOf(context), by })
      note(
        unban
          ? "✅ The client is no longer banned: their messages arrive again."
          : "🚫 The client is banned: their messages are ignored (IGNORE_CHATS). /unban lifts it."
      )
    }),
    noteBlocked: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ blocked: true })
      enqueue.emit({ type: "dialog.clientBlocked", ...refOf(context) })
      enqueue.emit(
        send(context, context.groupId!, "sendMessage", {
          message_thread_id: context.threadId,
          text: "⚠️ The client has blocked the bot: the last answer was not delivered."
        })
      )
    })
  }
}).createMachine({
  id: "dialog",
  context: ({ input }) => ({
    ...parseKey(input.key),
    groupId: null,
    threadId: null,
    client: null,
    startParam: null,
    waiting: [],
    status: "new",
    settings: null,
    blocked: false,
    topics: 0,
    album: null,
    recent: [],
    mutedUntil: 0,
    answers: []
  }),
  initial: "new",
  states: {
    new: {
      on: {
        "message.received": [
          {
            guard: "clientStart",
            actions: enqueueActions(({ event, enqueue }) => {
              if (event.type !== "message.received") return
              enqueue.assign({ client: event.from ?? null, startParam: startParamOf(event) ?? null })
            })
          },
          { guard: "fromClient", target: "opening", actions: "open" }
        ],
        "dialog.open": { target: "opening", actions: "openForTeam" }
      }
    },
    opening: {
      on: {
        "message.received": { guard: "fromClient", actions: "queue" },
        "dialog.topicCreated": { target: "open", actions: "topicReady" },
        // The topic could not be created: the next client message asks again.
        "delivery.failed": {
          guard: ({ event }) => event.method === "createForumTopic",
          target: "new",
          actions: enqueueActions(({ enqueue }) => enqueue.assign({ status: "new", waiting: [] }))
        }
      }
    },
    open: {
      initial: "awaitingTeam",
      states: {
        awaitingTeam: {},
        answered: { on: { "dialog.autoClose": { target: "#dialog.closed", actions: "close" } } },
        onHold: {}
      },
      on: {
        "message.received": [
          { guard: "fromClient", target: ".awaitingTeam", actions: "relayToTopic" },
          { guard: "close", target: "closed", actions: ["sendAlbum", "close"] },
          { guard: "hold", target: ".onHold", actions: "hold" },
          { guard: "wait", target: ".answered", actions: "markAnswered" },
          { guard: "info", actions: "postCard" },
          { guard: "ban", actions: "ban" },
          { guard: "answer", target: ".answered", actions: ["relayToClient", "markAnswered"] }
        ]
      }
    },
    closed: {
      on: {
        "message.received": [
          { guard: "stayClosed", actions: "relayQuietly" },
          { guard: "fromClient", target: "open.awaitingTeam", actions: "relayToTopic" },
          { guard: "info", actions: "postCard" },
          { guard: "ban", actions: "ban" },
          { guard: "answer", actions: "relayToClient" }
        ]
      }
    }
  },
  on: {
    "message.received": { guard: "refused", actions: "refuse" },
    "message.edited": { actions: "relayEdit" },
    "dialog.open": { guard: ({ context }) => context.threadId !== null, actions: "pointToTopic" },
    "reaction.changed": { actions: "relayReaction" },
    "dialog.albumDue": { actions: "sendAlbum" },
    "delivery.failed": [
      { guard: "goneWhileOpening", actions: "waitAlso" },
      { guard: "goneBefore", actions: "copyAgain" },
      { guard: "topicGone", target: ".opening", actions: "reopenTopic" },
      { guard: "answerGone", actions: "resendAnswer" },
      { guard: "blocked", actions: "noteBlocked" }
    ]
  }
})
