import type { ApiResponse } from "grammy/types"
import { BotApiError, defaultDescription, notFound } from "./BotApiError.ts"
import type { Faults } from "./Faults.ts"
import type { RateLimiter } from "./Limits.ts"
import { chatMethods } from "./methods/Chats.ts"
import type { Method } from "./methods/Context.ts"
import { copyingMethods } from "./methods/Copying.ts"
import { editingMethods } from "./methods/Editing.ts"
import { sendingMethods } from "./methods/Sending.ts"
import { updateMethods } from "./methods/Updates.ts"
import type { Params } from "./Params.ts"
import type { World } from "./World.ts"

/** What the HTTP adapter does with a call: answer it, drop the connection, or never answer. */
export type ApiOutcome =
  | { readonly kind: "answer"; readonly status: number; readonly body: ApiResponse<unknown> }
  | { readonly kind: "drop" }
  | { readonly kind: "hang" }

/** Every supported method, by its lower-cased name: Bot API method names are case-insensitive. */
const methods: ReadonlyMap<string, Method> = new Map(
  Object.entries({
    ...sendingMethods,
    ...copyingMethods,
    ...editingMethods,
    ...chatMethods,
    ...updateMethods
  }).map(([name, method]) => [name.toLowerCase(), method])
)

/** Names of the supported Bot API methods. */
export const supportedMethods: ReadonlyArray<string> = Object.keys({
  ...sendingMethods,
  ...copyingMethods,
  ...editingMethods,
  ...chatMethods,
  ...updateMethods
})

const failure = (error: BotApiError): ApiOutcome => ({
  kind: "answer",
  status: error.code,
  body: {
    ok: false,
    error_code: error.code,
    description: error.description,
    ...(error.retryAfter !== undefined ? { parameters: { retry_after: error.retryAfter } } : {})
  }
})

const neverAborted = (): AbortSignal => new AbortController().signal

const tokenPattern = /^\d+:[A-Za-z0-9_-]+$/

/** The Bot API: token check, injected faults, then the method, with Telegram's answer shapes. */
export class BotApi {
  constructor(
    private readonly world: World,
    private readonly limiter: RateLimiter,
    private readonly faults: Faults,
    private readonly startWebhook: (botId: number) => void,
    /** Told of every call that succeeded, for the sandbox's event stream. */
    private readonly succeeded: (method: string, params: Params) => void = () => {}
  ) {}

  /**
   * Runs one call. `signal` is asked for only by calls a client may abandon while they wait (long
   * polls), so an HTTP adapter can make the abort machinery lazily.
   */
  async call(
    token: string,
    methodName: string,
    params: Params,
    signal: () => AbortSignal = neverAborted
  ): Promise<ApiOutcome> {
    if (!tokenPattern.test(token)) return failure(notFound())
    const bot = this.world.botByToken(token)
    if (bot === undefined) return failure(new BotApiError({ code: 401, description: "Unauthorized" }))
    const method = methods.get(methodName.toLowerCase())
    if (method === undefined) return failure(notFound())
    const fault = this.faults.take(methodName, params.raw("chat_id"))
    if (fault?.kind === "drop") return { kind: "drop" }
    if (fault?.kind === "timeout") {
      if (fault.delay_ms === undefined) return { kind: "hang" }
      await new Promise((resolve) => setTimeout(resolve, fault.delay_ms))
    }
    if (fault?.kind === "error") {
      const code = fault.error_code ?? 500
      const description = fault.description ?? defaultDescription(code, fault.retry_after)
      return failure(
        new BotApiError({
          code,
          description,
          ...(fault.retry_after !== undefined ? { retryAfter: fault.retry_after } : {})
        })
      )
    }
    try {
      const result = await method({
        world: this.world,
        bot,
        params,
        limiter: this.limiter,
        get signal() {
          return signal()
        },
        startWebhook: this.startWebhook
      })
      this.succeeded(methodName, params)
      return { kind: "answer", status: 200, body: { ok: true, result } }
    } catch (error) {
      if (error instanceof BotApiError) return failure(error)
      console.error(`sandbox: ${methodName} failed`, error)
      return failure(new BotApiError({ code: 500, description: "Internal Server Error" }))
    }
  }
}
