import { assign, emit, setup } from "xstate"

export interface ConnectionContext {
  /** The connection id in the `connection:<id>` key, e.g. `bot:7000000001`. */
  readonly connection: string
  /** The last `retry_after` Telegram asked for, in seconds. */
  readonly retryAfter: number
  /** How many times Telegram made this connection wait. */
  readonly floodWaits: number
  /** Why Telegram last refused the connection, if it did. */
  readonly refusal: string | null
}

/** Inbound facts from the Gateway about its own polling, and the one command. */
export type ConnectionEvent =
  | { readonly type: "connection.polled" }
  | { readonly type: "connection.rateLimited"; readonly retryAfter: number }
  | { readonly type: "connection.refused"; readonly reason: string }
  | { readonly type: "connection.start" }

/** Facts the connection actor emits on each status change. */
export type ConnectionEmitted =
  | { readonly type: "connection.online"; readonly connection: string }
  | { readonly type: "connection.floodWaiting"; readonly connection: string; readonly retryAfter: number }
  | { readonly type: "connection.unauthorized"; readonly connection: string; readonly reason: string }

/**
 * One bot or account connection's status: `starting` until its first poll, `online`,
 * `floodWaiting` for Telegram's `retry_after` (then back to `online` by itself), `unauthorized`
 * once Telegram refused its token or session (until `connection.start`).
 */
const types = {} as {
  context: ConnectionContext
  events: ConnectionEvent
  emitted: ConnectionEmitted
  input: { readonly key: string }
}

export const connectionMachine = setup({
  types,
  delays: {
    retryAfter: ({ context }) => context.retryAfter * 1000
  },
  actions: {
    wait: assign({
      retryAfter: ({ event }) => (event.type === "connection.rateLimited" ? event.retryAfter : 0),
      floodWaits: ({ context }) => context.floodWaits + 1
    }),
    announceWait: emit(({ context }) => ({
      type: "connection.floodWaiting" as const,
      connection: context.connection,
      retryAfter: context.retryAfter
    })),
    announceOnline: emit(({ context }) => ({
      type: "connection.online" as const,
      connection: context.connection
    })),
    refuse: assign({ refusal: ({ event }) => (event.type === "connection.refused" ? event.reason : null) }),
    announceRefusal: emit(({ context }) => ({
      type: "connection.unauthorized" as const,
      connection: context.connection,
      reason: context.refusal ?? ""
    }))
  }
}).createMachine({
  id: "connection",
  context: ({ input }) => ({
    connection: input.key.slice(input.key.indexOf(":") + 1),
    retryAfter: 0,
    floodWaits: 0,
    refusal: null
  }),
  initial: "starting",
  on: {
    "connection.refused": { target: ".unauthorized", actions: ["refuse", "announceRefusal"] }
  },
  states: {
    starting: {
      on: {
        "connection.polled": { target: "online", actions: "announceOnline" },
        "connection.rateLimited": { target: "floodWaiting", actions: ["wait", "announceWait"] }
      }
    },
    online: {
      on: {
        "connection.rateLimited": { target: "floodWaiting", actions: ["wait", "announceWait"] }
      }
    },
    floodWaiting: {
      after: { retryAfter: { target: "online", actions: "announceOnline" } },
      on: {
        // A longer wait restarts the delay with the new retry_after.
        "connection.rateLimited": {
          target: "floodWaiting",
          reenter: true,
          actions: ["wait", "announceWait"]
        },
        "connection.polled": { target: "online", actions: "announceOnline" }
      }
    },
    unauthorized: {
      on: {
        "connection.start": { target: "starting", actions: assign({ refusal: null }) }
      }
    }
  }
})
