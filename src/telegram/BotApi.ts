import { Context, Data, Effect, Either, Redacted } from "effect"
import { Api, GrammyError, HttpError } from "grammy"
import { grammyFetch } from "./BotApiFetch.ts"
import type { BotConnection } from "./Connections.ts"

/** Telegram answered 429: wait `retryAfter` Telegram seconds before calling again in that chat. */
export class RateLimited extends Data.TaggedError("RateLimited")<{
  readonly method: string
  readonly retryAfter: number
}> {}

/**
 * Telegram refused the call and will refuse it again (400, 403, 404 and other 4xx), e.g.
 * `Bad Request: message thread not found` or `Forbidden: bot was blocked by the user`. Code 0:
 * grammY rejected the call before sending it.
 */
export class PermanentFailure extends Data.TaggedError("PermanentFailure")<{
  readonly method: string
  readonly code: number
  readonly description: string
}> {}

/** The call may succeed later: a 5xx, a lost connection, a timeout. `code` is Telegram's, when it answered. */
export class TransientFailure extends Data.TaggedError("TransientFailure")<{
  readonly method: string
  readonly reason: string
  readonly code?: number
}> {}

export type BotApiFailure = RateLimited | PermanentFailure | TransientFailure

/** How long one call may take before it counts as a transient failure. */
export class BotApiConfig extends Context.Reference<BotApiConfig>()("app/BotApiConfig", {
  defaultValue: () => ({ timeoutSeconds: 30 })
}) {}

const errorCode = (cause: unknown): string | undefined => {
  const code = (cause as { code?: unknown } | undefined)?.code
  return typeof code === "string" ? code : undefined
}

/** Sorts what grammY threw; texts never repeat the token (a network error may quote the URL). */
export const classify = (method: string, error: unknown, token: string): BotApiFailure => {
  const redact = (text: string) => text.split(token).join("<token>")
  if (error instanceof GrammyError) {
    const description = redact(error.description)
    if (error.error_code === 429)
      return new RateLimited({ method, retryAfter: error.parameters.retry_after ?? 1 })
    if (error.error_code >= 500)
      return new TransientFailure({ method, reason: description, code: error.error_code })
    return new PermanentFailure({ method, code: error.error_code, description })
  }
  if (error instanceof HttpError) {
    const inner = error.error
    const code = errorCode(inner) ?? errorCode((inner as { cause?: unknown } | undefined)?.cause)
    return new TransientFailure({
      method,
      reason: redact(code === undefined ? error.message : `${error.message} (${code})`)
    })
  }
  return new PermanentFailure({
    method,
    code: 0,
    description: redact(error instanceof Error ? error.message : String(error))
  })
}

// grammY's raw API is a Proxy with one typed function per method; the outbox names methods at run
// time, so it is called through this untyped view (payloads are JSON from the outbox table).
type RawCall = (...args: ReadonlyArray<unknown>) => Promise<unknown>

// The proxy binds an empty payload for methods without parameters (getMe, logOut, ...), leaving
// a function of the signal alone; the others take (payload, signal).
const invoke = (run: RawCall, params: unknown, signal: AbortSignal | undefined) =>
  run.length <= 1 ? run(signal) : run(params, signal)

/**
 * The one way Backline calls the Bot API: one grammY `Api` per connection, failures sorted into
 * `RateLimited`, `PermanentFailure` and `TransientFailure`. It never retries; callers decide.
 */
export class BotApi extends Effect.Service<BotApi>()("app/BotApi", {
  effect: Effect.gen(function* () {
    const { timeoutSeconds } = yield* BotApiConfig
    const apis = new Map<string, { readonly token: string; readonly apiRoot: string; readonly api: Api }>()

    const apiFor = (connection: BotConnection): Api => {
      const token = Redacted.value(connection.token)
      const known = apis.get(connection.id)
      if (known !== undefined && known.token === token && known.apiRoot === connection.apiRoot)
        return known.api
      const api = new Api(token, { apiRoot: connection.apiRoot, timeoutSeconds, fetch: grammyFetch })
      apis.set(connection.id, { token, apiRoot: connection.apiRoot, api })
      return api
    }

    /**
     * Calls `method` with `params` as `connection`'s bot, outside any fiber: a promise of Telegram's
     * `result` or the sorted failure, never rejected. The call cannot be interrupted.
     */
    const request = (
      connection: BotConnection,
      method: string,
      params: Readonly<Record<string, unknown>>
    ): Promise<Either.Either<unknown, BotApiFailure>> => {
      const raw = apiFor(connection).raw as unknown as Record<string, RawCall>
      const run = raw[method]
      if (run === undefined)
        return Promise.resolve(
          Either.left(new PermanentFailure({ method, code: 0, description: "unknown method" }))
        )
      return invoke(run, params, undefined).then(Either.right, (error: unknown) =>
        Either.left(classify(method, error, Redacted.value(connection.token)))
      )
    }

    /**
     * Calls `method` with `params` as `connection`'s bot and answers Telegram's `result`. An
     * interrupted call is aborted; with `abortable` false (for callers that never interrupt a call
     * once it left, like the Sender) it is made without an abort signal of its own.
     */
    const call = (
      connection: BotConnection,
      method: string,
      params: Readonly<Record<string, unknown>>,
      abortable = true
    ): Effect.Effect<unknown, BotApiFailure> => {
      const raw = apiFor(connection).raw as unknown as Record<string, RawCall>
      const run = raw[method]
      if (run === undefined) return new PermanentFailure({ method, code: 0, description: "unknown method" })
      const catcher = (error: unknown) => classify(method, error, Redacted.value(connection.token))
      return abortable
        ? Effect.tryPromise({ try: (signal) => invoke(run, params, signal), catch: catcher })
        : Effect.tryPromise({ try: () => invoke(run, params, undefined), catch: catcher })
    }

    return { call, request } as const
  })
}) {}
