import { HttpClient, HttpClientRequest } from "@effect/platform"
import { Clock, Duration, Effect } from "effect"
import { signedHeaders } from "./Signing.ts"

/** What a signed POST came to: the receiver's answer, or why there was none; with how long it took. */
export type PostOutcome =
  | {
      readonly _tag: "Answered"
      readonly status: number
      readonly contentType: string
      readonly text: string
      readonly latencyMs: number
    }
  | { readonly _tag: "NoAnswer"; readonly error: string; readonly latencyMs: number }

/** The most of an answer Backline reads. */
const maxAnswer = 64 * 1024

/**
 * POSTs `body` (JSON) to `url`, signed per Standard Webhooks with `secret` as message `id`; gives up
 * after `timeout`, so a slow receiver holds nothing up for longer. Never fails: a refused
 * connection or a timeout is a `NoAnswer`.
 */
export const signedPost = (input: {
  readonly url: string
  readonly secret: string
  readonly id: string
  readonly body: string
  readonly timeout: Duration.DurationInput
}) =>
  Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    const started = yield* Clock.currentTimeMillis
    const timestamp = Math.floor(started / 1000)
    const elapsed = Effect.map(Clock.currentTimeMillis, (now) => now - started)
    const request = HttpClientRequest.post(input.url).pipe(
      HttpClientRequest.setHeaders({
        ...signedHeaders(input.secret, input.id, timestamp, input.body),
        "user-agent": "Backline-Webhooks"
      }),
      HttpClientRequest.bodyText(input.body, "application/json")
    )
    const timeout = Duration.decode(input.timeout)
    return yield* client.execute(request).pipe(
      Effect.flatMap((response) =>
        Effect.map(response.text, (text) => ({
          status: response.status,
          contentType: response.headers["content-type"] ?? "",
          text: text.slice(0, maxAnswer)
        }))
      ),
      Effect.scoped,
      Effect.timeoutFail({
        duration: timeout,
        onTimeout: () => `no answer within ${Duration.format(timeout)}`
      }),
      Effect.matchEffect({
        onSuccess: (answer) =>
          Effect.map(elapsed, (latencyMs): PostOutcome => ({ _tag: "Answered", ...answer, latencyMs })),
        onFailure: (error) =>
          Effect.map(elapsed, (latencyMs): PostOutcome => ({
            _tag: "NoAnswer",
            error: typeof error === "string" ? error : describe(error),
            latencyMs
          }))
      })
    )
  })

const describe = (error: { readonly message: string; readonly cause?: unknown }) => {
  const cause = error.cause instanceof Error ? (error.cause.cause ?? error.cause) : undefined
  return cause instanceof Error && cause.message !== "" ? cause.message : error.message
}
