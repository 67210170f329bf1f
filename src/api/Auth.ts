import { HttpApiMiddleware, HttpApiSecurity } from "@effect/platform"
import { HttpServerRequest } from "@effect/platform"
import { Config, Context, Effect, Layer, Option, Redacted, Schema } from "effect"
import { Forbidden, TooManyRequests, Unauthorized } from "./ApiErrors.ts"
import type { Scope } from "./Scopes.ts"
import { Tokens, type TokenInfo } from "./Tokens.ts"

export { Forbidden, TooManyRequests, Unauthorized } from "./ApiErrors.ts"
export type { Scope } from "./Scopes.ts"
export type { TokenInfo } from "./Tokens.ts"

/** The token the request was made with, once `Authorization` accepted it. */
export class ApiToken extends Context.Tag("app/api/ApiToken")<ApiToken, TokenInfo>() {}

/**
 * Bearer-token security for an `HttpApiGroup` (or endpoint): `Authorization: Bearer bkl_…`, or
 * `?access_token=bkl_…` for clients that cannot send headers (calendar apps). A missing, unknown
 * or revoked token answers 401; a token over its rate limit 429 with `Retry-After`. Handlers then
 * check the token's group and scope with `requireScope`.
 *
 * @example
 * class CalendarGroup extends HttpApiGroup.make("calendar")
 *   .add(HttpApiEndpoint.get("feed", "/api/v1/groups/:group/calendar.ics").setPath(GroupPath))
 *   .middleware(Authorization)
 *   .addError(Forbidden) {}
 * // in the handler:
 * yield* requireScope("calendar:read", path.group)
 */
export class Authorization extends HttpApiMiddleware.Tag<Authorization>()("app/api/Authorization", {
  failure: Schema.Union(Unauthorized, TooManyRequests),
  provides: ApiToken,
  security: { bearer: HttpApiSecurity.bearer }
}) {}

/**
 * The request's token if it holds `scope` and, when `group` is given, is the token of that group;
 * else 403 saying which.
 *
 * @example
 * const token = yield* requireScope("topics:write", path.group)
 */
export const requireScope = (scope: Scope, group?: number) =>
  Effect.flatMap(ApiToken, (token) =>
    group !== undefined && token.group !== group
      ? Effect.fail(new Forbidden({ error: `this token is for the group ${token.group}, not ${group}` }))
      : !token.scopes.includes(scope)
        ? Effect.fail(new Forbidden({ error: `this token lacks the scope ${scope}` }))
        : Effect.succeed(token)
  )

/** `API_RATE_LIMIT`: requests per second per token (bursts of twice that); 0 turns the limit off. */
export const apiRateLimit = Config.withDefault(Config.number("API_RATE_LIMIT"), 20)

/**
 * Tokens' rate limits, kept in this process: a bucket of `2 × rate` requests per token, refilled
 * at `rate` per second. `take` answers 0 when the request may go, else the seconds to wait.
 */
export class ApiRateLimiter extends Effect.Service<ApiRateLimiter>()("app/api/ApiRateLimiter", {
  effect: Effect.gen(function* () {
    const rate = yield* apiRateLimit.pipe(Effect.orDie)
    const buckets = new Map<string, { tokens: number; at: number }>()
    const take = (id: string) =>
      Effect.sync(() => {
        if (rate <= 0) return 0
        const now = Date.now()
        const burst = rate * 2
        const bucket = buckets.get(id) ?? { tokens: burst, at: now }
        bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * rate)
        bucket.at = now
        buckets.set(id, bucket)
        if (bucket.tokens >= 1) {
          bucket.tokens -= 1
          return 0
        }
        return Math.max(1, Math.ceil((1 - bucket.tokens) / rate))
      })
    return { take } as const
  })
}) {}

const check = (tokens: Tokens, limiter: ApiRateLimiter) => (secret: Redacted.Redacted<string>) =>
  Effect.gen(function* () {
    // Without the header, the `access_token` query parameter (calendar apps send no headers).
    if (Redacted.value(secret) === "") {
      const query = (yield* HttpServerRequest.ParsedSearchParams)["access_token"]
      if (typeof query === "string" && query !== "") secret = Redacted.make(query)
    }
    if (Redacted.value(secret) === "")
      return yield* new Unauthorized({ error: "missing bearer token (Authorization: Bearer <token>)" })
    const found = yield* tokens.verify(secret)
    if (Option.isNone(found)) return yield* new Unauthorized({ error: "invalid or revoked token" })
    const wait = yield* limiter.take(found.value.id)
    if (wait > 0)
      return yield* new TooManyRequests({
        error: `rate limit exceeded; retry in ${wait} s`,
        retryAfter: wait
      })
    return found.value
  })

/** The `Authorization` middleware, checking secrets against the `api_token` table. */
export const AuthorizationLive = Layer.effect(
  Authorization,
  Effect.gen(function* () {
    const tokens = yield* Tokens
    const limiter = yield* ApiRateLimiter
    const verify = check(tokens, limiter)
    return Authorization.of({ bearer: verify })
  })
).pipe(Layer.provide(Layer.mergeAll(Tokens.Default, ApiRateLimiter.Default)))
