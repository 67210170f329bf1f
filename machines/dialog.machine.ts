import { enqueueActions, setup } from "xstate"
import { answerSteps } from "./dialog.answer.ts"
import { dialogGuards } from "./dialog.guards.ts"
import { pluginCommandOf, pluginPressOf } from "./dialog.plugins.ts"
import { dialogSteps } from "./dialog.steps.ts"
import { startParamOf } from "./dialog.text.ts"
import { parseKey, type DialogContext, type DialogEmitted, type DialogEvent } from "./dialog.types.ts"

export type * from "./dialog.types.ts"

const types = {} as {
  context: DialogContext
  events: DialogEvent
  emitted: DialogEmitted
  input: { readonly key: string }
}

/**
 * One client conversation ↔ one topic in the backend group; see docs/inbox.md. The client's first
 * real message asks for the topic (its result mailed back as `dialog.topicCreated`) and gets the
 * WELCOME text; messages wait until the topic exists, then follow the client card in order.
 * Operators answer in the topic (not commands, `/ ` comments or bots); `/close`, `/hold`, `/wait`
 * and `/info` act on the dialog; AUTOCLOSE closes it after the team's last answer; a closed dialog
 * reopens on the client's next message; a topic deleted by hand is opened anew. Albums, replies,
 * edits and reactions cross in both directions. Plugins answer for the team with `dialog.answer`.
 */
export const dialogMachine = setup({
  types,
  guards: {
    ...dialogGuards,
    // Last in line, so a refused client message still reaches the top-level `refused`.
    pluginCommand: ({ context, event }) => pluginCommandOf(context, event) !== undefined,
    answerGiven: ({ event }) => event.type === "dialog.answer" && event.text.trim() !== ""
  },
  actions: {
    open: enqueueActions(({ context, event, enqueue }) => dialogSteps.open({ context, event, enqueue })),
    openForTeam: enqueueActions(({ context, event, enqueue }) =>
      dialogSteps.openForTeam({ context, event, enqueue })
    ),
    pointToTopic: enqueueActions(({ context, event, enqueue }) =>
      dialogSteps.pointToTopic({ context, event, enqueue })
    ),
    queue: enqueueActions(({ context, event, enqueue }) => dialogSteps.queue({ context, event, enqueue })),
    topicReady: enqueueActions(({ context, event, enqueue }) =>
      dialogSteps.topicReady({ context, event, enqueue })
    ),
    reopenTopic: enqueueActions(({ context, event, enqueue }) =>
      dialogSteps.reopenTopic({ context, event, enqueue })
    ),
    waitAlso: enqueueActions(({ context, event, enqueue }) =>
      dialogSteps.waitAlso({ context, event, enqueue })
    ),
    copyAgain: enqueueActions(({ context, event, enqueue }) =>
      dialogSteps.copyAgain({ context, event, enqueue })
    ),
    resendAnswer: enqueueActions(({ context, event, enqueue }) =>
      dialogSteps.resendAnswer({ context, event, enqueue })
    ),
    relayToTopic: enqueueActions(({ context, event, enqueue }) =>
      dialogSteps.relayToTopic({ context, event, enqueue })
    ),
    cardPosted: enqueueActions(({ context, event, enqueue }) =>
      dialogSteps.cardPosted({ context, event, enqueue })
    ),
    relayToClient: enqueueActions(({ context, event, enqueue }) =>
      dialogSteps.relayToClient({ context, event, enqueue })
    ),
    sendAlbum: enqueueActions(({ context, event, enqueue }) =>
      dialogSteps.sendAlbum({ context, event, enqueue })
    ),
    relayEdit: enqueueActions(({ context, event, enqueue }) =>
      dialogSteps.relayEdit({ context, event, enqueue })
    ),
    relayReaction: enqueueActions(({ context, event, enqueue }) =>
      dialogSteps.relayReaction({ context, event, enqueue })
    ),
    close: enqueueActions(({ context, event, enqueue }) => dialogSteps.close({ context, event, enqueue })),
    hold: enqueueActions(({ context, event, enqueue }) => dialogSteps.hold({ context, event, enqueue })),
    markAnswered: enqueueActions(({ context, event, enqueue }) =>
      dialogSteps.markAnswered({ context, event, enqueue })
    ),
    postCard: enqueueActions(({ context, event, enqueue }) =>
      dialogSteps.postCard({ context, event, enqueue })
    ),
    refuse: enqueueActions(({ context, event, enqueue }) => dialogSteps.refuse({ context, event, enqueue })),
    relayQuietly: enqueueActions(({ context, event, enqueue }) =>
      dialogSteps.relayQuietly({ context, event, enqueue })
    ),
    ban: enqueueActions(({ context, event, enqueue }) => dialogSteps.ban({ context, event, enqueue })),
    postAnswer: enqueueActions(({ context, event, enqueue }) =>
      answerSteps.post({ context, event, enqueue })
    ),
    copyAnswer: enqueueActions(({ context, event, enqueue }) =>
      answerSteps.copy({ context, event, enqueue })
    ),
    noteBlocked: enqueueActions(({ context, event, enqueue }) =>
      dialogSteps.noteBlocked({ context, event, enqueue })
    ),
    tellPlugins: enqueueActions(({ context, event, enqueue }) => {
      const told =
        event.type === "callback.pressed" ? pluginPressOf(context, event) : pluginCommandOf(context, event)
      if (told !== undefined) enqueue.emit(told)
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
    answers: [],
    cardMessageId: null,
    answering: []
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
          { guard: "answer", target: ".answered", actions: ["relayToClient", "markAnswered"] },
          { guard: "pluginCommand", actions: "tellPlugins" }
        ],
        "dialog.answer": { guard: "answerGiven", target: ".answered", actions: "postAnswer" }
      }
    },
    closed: {
      on: {
        "message.received": [
          { guard: "stayClosed", actions: "relayQuietly" },
          { guard: "fromClient", target: "open.awaitingTeam", actions: "relayToTopic" },
          { guard: "info", actions: "postCard" },
          { guard: "ban", actions: "ban" },
          { guard: "answer", actions: "relayToClient" },
          { guard: "pluginCommand", actions: "tellPlugins" }
        ],
        // As an operator's answer here: sent, the dialog stays closed.
        "dialog.answer": { guard: "answerGiven", actions: "postAnswer" }
      }
    }
  },
  on: {
    "message.received": { guard: "refused", actions: "refuse" },
    "message.edited": { actions: "relayEdit" },
    "dialog.open": { guard: ({ context }) => context.threadId !== null, actions: "pointToTopic" },
    "reaction.changed": { actions: "relayReaction" },
    "callback.pressed": { actions: "tellPlugins" },
    "dialog.albumDue": { actions: "sendAlbum" },
    "dialog.cardPosted": { actions: "cardPosted" },
    "dialog.answerPosted": { actions: "copyAnswer" },
    "delivery.failed": [
      { guard: "goneWhileOpening", actions: "waitAlso" },
      { guard: "goneBefore", actions: "copyAgain" },
      { guard: "topicGone", target: ".opening", actions: "reopenTopic" },
      { guard: "answerGone", actions: "resendAnswer" },
      { guard: "blocked", actions: "noteBlocked" }
    ]
  }
})
