import { Data } from "effect"

/**
 * A Bot API failure exactly as Telegram reports it: `error_code`, `description` and, for flood
 * control, `parameters.retry_after`.
 *
 * The world is synchronous state mutated from one thread, so its operations throw this error
 * instead of returning Effects: hundreds of rule checks stay one line each, and the HTTP adapter
 * turns the throw into Telegram's `{ ok: false, ... }` answer in one place.
 */
export class BotApiError extends Data.TaggedError("BotApiError")<{
  readonly code: number
  readonly description: string
  readonly retryAfter?: number
}> {
  override get message(): string {
    return `${this.code}: ${this.description}`
  }
}

/** 400 `Bad Request: <detail>`. */
export const badRequest = (detail: string): BotApiError =>
  new BotApiError({ code: 400, description: `Bad Request: ${detail}` })

/** 403 `Forbidden: <detail>`. */
export const forbidden = (detail: string): BotApiError =>
  new BotApiError({ code: 403, description: `Forbidden: ${detail}` })

/** 429 `Too Many Requests: retry after N` with `parameters.retry_after`. */
export const tooManyRequests = (retryAfter: number): BotApiError =>
  new BotApiError({ code: 429, description: `Too Many Requests: retry after ${retryAfter}`, retryAfter })

/** 404 `Not Found`, Telegram's answer to unknown methods and malformed tokens. */
export const notFound = (): BotApiError => new BotApiError({ code: 404, description: "Not Found" })

/** Description Telegram uses for a bare error code, used by injected faults without one. */
export const defaultDescription = (code: number, retryAfter: number | undefined): string => {
  switch (code) {
    case 400:
      return "Bad Request"
    case 401:
      return "Unauthorized"
    case 403:
      return "Forbidden"
    case 404:
      return "Not Found"
    case 409:
      return "Conflict"
    case 429:
      return `Too Many Requests: retry after ${retryAfter ?? 1}`
    case 502:
      return "Bad Gateway"
    default:
      return "Internal Server Error"
  }
}

/** A control-API input error: 4xx naming the field at fault. */
export class ControlError extends Data.TaggedError("ControlError")<{
  readonly status: number
  readonly field: string
  readonly error: string
}> {
  override get message(): string {
    return `${this.field}: ${this.error}`
  }
}

/** 400 for a missing or malformed control-API field; 404 when it names something that does not exist. */
export const invalidField = (field: string, error: string, status = 400): ControlError =>
  new ControlError({ status, field, error })
