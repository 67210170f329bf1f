import { Context, Data, Duration, Effect, Redacted } from "effect"
import { Api } from "grammy"
import type { CommandFor } from "../../machines/index.ts"
import { Mailbox } from "../actors/Mailbox.ts"
import { handledUpdateKinds } from "../domain/Events.ts"
import type { ConnectionId } from "../domain/Ids.ts"
import { classify, type RateLimited } from "./BotApi.ts"
import { grammyFetch } from "./BotApiFetch.ts"
import type { BotConnection } from "./Connections.ts"
import { Inbox } from "./Inbox.ts"

/** Telegram refused the token (401, or 404 for a token it cannot even parse). */
export class Unauthorized extends Data.TaggedError("Unauthorized")<{ readonly description: string }> {}

/** Worth retrying later: network, a 5xx, a 409 conflict, any other refusal, the inbox's database. */
export class Unavailable extends Data.TaggedError("Unavailable")<{ readonly reason: string }> {}

/**
 * How the Gateway talks to the Bot API: long-poll length, batch size and the back-off after
 * failures. Tests shorten them with `Layer.succeed(GatewaySettings, {...})`.
 */
export class GatewaySettings extends Context.Reference<GatewaySettings>()("app/GatewaySettings", {
  defaultValue: () => ({
    timeoutSeconds: 30,
    limit: 100,
    initialBackoff: Duration.seconds(1),
    maxBackoff: Duration.seconds(30)
  })
}) {}

// grammY's Node build types its signals with the abort-controller shim; a native signal is what
// node-fetch reads at run time.
type ApiSignal = Parameters<Api["getMe"]>[0]

/**
 * Calls the Bot API through grammY, failures sorted by `BotApi.classify` (which keeps the token out
 * of every text) into what the Gateway does next. Not `BotApi.call`: a long poll outlasts its
 * per-call timeout, and the results here are typed.
 */
export const callBotApi = <A>(
  connection: BotConnection,
  method: string,
  run: (api: Api, signal: ApiSignal) => Promise<A>
) => {
  const token = Redacted.value(connection.token)
  const api = new Api(token, { apiRoot: connection.apiRoot, fetch: grammyFetch })
  return Effect.tryPromise({
    try: (signal) => run(api, signal as unknown as ApiSignal),
    catch: (cause): Unauthorized | RateLimited | Unavailable => {
      const failure = classify(method, cause, token)
      if (failure._tag === "RateLimited") return failure
      if (failure._tag === "PermanentFailure" && (failure.code === 401 || failure.code === 404))
        return new Unauthorized({ description: failure.description })
      return new Unavailable({
        reason: `${method}: ${failure._tag === "TransientFailure" ? failure.reason : failure.description}`
      })
    }
  })
}

const describeDefect = (defect: unknown): string => {
  const cause = (defect as { cause?: unknown } | undefined)?.cause
  const message = defect instanceof Error ? defect.message : String(defect)
  return cause instanceof Error ? `${message}: ${cause.message}` : message
}

/**
 * Runs `attempt` until it succeeds, waiting `retry_after` after a 429 and backing off (doubling up
 * to `maxBackoff`) after other failures; stops with `Unauthorized` for a bad token.
 */
export const persistently = <A, R>(
  what: string,
  attempt: Effect.Effect<A, Unavailable | RateLimited | Unauthorized, R>
) =>
  Effect.gen(function* () {
    const settings = yield* GatewaySettings
    for (let failures = 0; ; failures++) {
      const result = yield* Effect.either(attempt)
      if (result._tag === "Right") return result.right
      const error = result.left
      if (error._tag === "Unauthorized") return yield* Effect.fail(error)
      const wait =
        error._tag === "RateLimited"
          ? Duration.seconds(error.retryAfter)
          : Duration.min(
              Duration.times(settings.initialBackoff, 2 ** Math.min(failures, 20)),
              settings.maxBackoff
            )
      yield* Effect.logWarning(
        `telegram: ${what} failed (${error._tag === "RateLimited" ? `429, retry after ${error.retryAfter}s` : error.reason}); retrying in ${Duration.format(wait)}`
      )
      yield* Effect.sleep(wait)
    }
  })

type ConnectionFact =
  | { readonly type: "connection.polled" }
  | { readonly type: "connection.rateLimited"; readonly retryAfter: number }
  | { readonly type: "connection.refused"; readonly reason: string }
  | CommandFor<"connection">

type Reported = "online" | "rateLimited" | "refused" | "failing"

/**
 * What the Gateway tells a connection's actor (`connection:<id>`) about its own calls, by actor
 * mail and only when it changes: `connection.polled` on the first success and after any failure,
 * `connection.rateLimited` on a 429 (again only for another `retry_after`), `connection.refused`
 * for a refused token. The first fact of a run is preceded by `connection.start`, so a connection
 * refused before (its actor `unauthorized`) comes back online once its token works.
 * A failure to send is logged and the fact sent with the next change.
 */
export const connectionStatus = (mailbox: Mailbox, connection: ConnectionId) => {
  let last: Reported | undefined
  let lastRetryAfter = 0
  let started = false
  const send = (next: Reported, fact: ConnectionFact) =>
    Effect.forEach(
      started ? [fact] : [{ type: "connection.start" } as const, fact],
      (event) => mailbox.send(`connection:${connection}`, event, "gateway"),
      { discard: true }
    ).pipe(
      Effect.tap(() => {
        last = next
        started = true
      }),
      Effect.catchAllDefect((defect) =>
        Effect.logWarning(`telegram: ${connection}'s status could not be recorded: ${describeDefect(defect)}`)
      )
    )

  /** A call that went through. */
  const succeeded = Effect.suspend(() => {
    if (last === "online") return Effect.void
    return send("online", { type: "connection.polled" })
  })

  /** A call that failed with `error`. */
  const failed = (error: Unavailable | RateLimited | Unauthorized) =>
    Effect.suspend(() => {
      switch (error._tag) {
        case "Unavailable":
          // Not a status of its own: the next success tells the actor it is through.
          if (last !== undefined) last = "failing"
          return Effect.void
        case "RateLimited":
          if (last === "rateLimited" && lastRetryAfter === error.retryAfter) return Effect.void
          lastRetryAfter = error.retryAfter
          return send("rateLimited", { type: "connection.rateLimited", retryAfter: error.retryAfter })
        case "Unauthorized":
          if (last === "refused") return Effect.void
          return send("refused", { type: "connection.refused", reason: error.description })
      }
    })

  /** `attempt`, its outcome told to the connection's actor when the status changed. */
  const watch = <A, R>(attempt: Effect.Effect<A, Unavailable | RateLimited | Unauthorized, R>) =>
    attempt.pipe(
      Effect.tap(() => succeeded),
      Effect.tapError(failed)
    )

  return { succeeded, failed, watch } as const
}

/**
 * Long polling for one bot connection: `getUpdates`, store the batch in the inbox, and only then
 * advance the offset, which the next `getUpdates` hands Telegram as the acknowledgement. A store
 * that fails is not acknowledged, so Telegram delivers those updates again.
 */
export class Polling extends Effect.Service<Polling>()("app/Polling", {
  effect: Effect.gen(function* () {
    const inbox = yield* Inbox
    const mailbox = yield* Mailbox

    const poll = (connection: BotConnection, offset: number) =>
      Effect.gen(function* () {
        const { timeoutSeconds, limit } = yield* GatewaySettings
        const updates = yield* callBotApi(connection, "getUpdates", (api, signal) =>
          api.getUpdates(
            { offset, limit, timeout: timeoutSeconds, allowed_updates: handledUpdateKinds },
            signal
          )
        )
        const last = updates.at(-1)
        if (last === undefined) return offset
        yield* inbox
          .storeAll(connection.id, updates)
          .pipe(
            Effect.catchAllDefect((defect) =>
              Effect.fail(new Unavailable({ reason: `inbox: ${describeDefect(defect)}` }))
            )
          )
        return last.update_id + 1
      })

    /**
     * Polls until the token is refused (answering `"unauthorized"`) or the fiber is interrupted; an
     * interrupted long poll is aborted, and nothing unstored was acknowledged.
     */
    const run = Effect.fn("Polling.run")(function* (connection: BotConnection) {
      const status = connectionStatus(mailbox, connection.id)
      const outcome = yield* Effect.gen(function* () {
        yield* persistently(
          "deleteWebhook",
          // Only its refusal is told: online is what `getUpdates` answers.
          callBotApi(connection, "deleteWebhook", (api, signal) => api.deleteWebhook({}, signal)).pipe(
            Effect.tapError(status.failed)
          )
        )
        yield* Effect.logInfo(`telegram: ${connection.id} polls ${connection.apiRoot} for updates`)
        let offset = 0
        for (;;) offset = yield* persistently("getUpdates", status.watch(poll(connection, offset)))
      }).pipe(Effect.catchTag("Unauthorized", (error) => Effect.succeed(error)))
      yield* Effect.logError(
        `telegram: ${connection.id} is unauthorized (${outcome.description}); its polling stopped`
      )
      return "unauthorized" as const
    })

    return { run } as const
  }),
  dependencies: [Inbox.Default, Mailbox.Default]
}) {}
