import { HttpApiSchema } from "@effect/platform"
import { Schema } from "effect"

/** 401: no token, or one Backline does not know (or that was revoked). */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()(
  "Unauthorized",
  { error: Schema.String },
  HttpApiSchema.annotations({ status: 401, description: "No bearer token, or not a valid one" })
) {}

/** 403: a valid token, outside its group or its scopes. */
export class Forbidden extends Schema.TaggedError<Forbidden>()(
  "Forbidden",
  { error: Schema.String },
  HttpApiSchema.annotations({ status: 403, description: "The token's group or scopes do not allow this" })
) {}

/** 429: the token's rate limit; `retryAfter` (seconds) is also sent as the `Retry-After` header. */
export class TooManyRequests extends Schema.TaggedError<TooManyRequests>()(
  "TooManyRequests",
  { error: Schema.String, retryAfter: Schema.Int },
  HttpApiSchema.annotations({ status: 429, description: "The token's rate limit; see Retry-After" })
) {}

/** 404: no such topic, dialog or group. */
export class NotFound extends Schema.TaggedError<NotFound>()(
  "NotFound",
  { error: Schema.String },
  HttpApiSchema.annotations({ status: 404 })
) {}

/** 400: a request that passed the schema but cannot be done as asked (e.g. a name matching two topics). */
export class BadRequest extends Schema.TaggedError<BadRequest>()(
  "BadRequest",
  { error: Schema.String, field: Schema.optional(Schema.String) },
  HttpApiSchema.annotations({ status: 400 })
) {}

/** 409: an `Idempotency-Key` used before for a different request. */
export class Conflict extends Schema.TaggedError<Conflict>()(
  "Conflict",
  { error: Schema.String },
  HttpApiSchema.annotations({ status: 409 })
) {}

/** 422: Telegram refused the call (its description says why). */
export class TelegramRefused extends Schema.TaggedError<TelegramRefused>()(
  "TelegramRefused",
  { error: Schema.String, code: Schema.Int },
  HttpApiSchema.annotations({ status: 422, description: "Telegram refused the call" })
) {}
