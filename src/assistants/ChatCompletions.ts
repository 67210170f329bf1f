/**
 * A client of OpenAI-compatible chat-completions endpoints (`POST <baseUrl>/v1/chat/completions`),
 * as served by OpenAI, llama.cpp's server, Ollama, vLLM, LocalAI and others: the one backend of the
 * assistant plugins that write text (drafts, fixes, translations). Plugins make it from their
 * `ctx.http` and their configuration, so what leaves the machine is exactly the messages they pass.
 *
 * @example
 * const chat = makeChatCompletions(ctx.http, { baseUrl: "http://127.0.0.1:8080", model: "qwen2.5", timeout: "30 seconds" })
 * const answer = yield* chat.complete([
 *   { role: "system", content: "Correct spelling and grammar; answer with the corrected text only." },
 *   { role: "user", content: "i has a question" }
 * ])
 * yield* ctx.reply(answer.text)
 */
import { HttpClientRequest, type HttpClient } from "@effect/platform"
import { Data, Duration, Effect, Either, Option, ParseResult, Schema } from "effect"

/** One message of the conversation the model continues. */
export interface ChatMessage {
  readonly role: "system" | "user" | "assistant"
  readonly content: string
}

/** Where the endpoint is and how to call it. */
export interface ChatCompletionsOptions {
  /** The server's root, without `/v1` (`https://api.openai.com`, `http://127.0.0.1:8080`). */
  readonly baseUrl: string
  /** Sent as `Authorization: Bearer <apiKey>`; none for local servers that need none. */
  readonly apiKey?: string | undefined
  readonly model: string
  /** How long one call may take, answer included. */
  readonly timeout: Duration.DurationInput
  /** Sampling temperature, when the backend's default does not suit. */
  readonly temperature?: number | undefined
  /** The most tokens the answer may have (`max_tokens`). */
  readonly maxTokens?: number | undefined
}

/** What the model answered. */
export interface ChatAnswer {
  /** The first choice's text, trimmed. */
  readonly text: string
  /** The model that answered, as the server names it. */
  readonly model: string
  /** `stop`, `length` (cut at `max_tokens`), ... when the server says. */
  readonly finishReason: string | undefined
}

/** The server refused the request (4xx): a wrong key, model or request; retrying will not help. */
export class ChatCompletionsRejected extends Data.TaggedError("ChatCompletionsRejected")<{
  readonly status: number
  readonly message: string
}> {}

/** The server failed (5xx) or could not be reached; a later call may succeed. */
export class ChatCompletionsUnavailable extends Data.TaggedError("ChatCompletionsUnavailable")<{
  /** The HTTP status, or `undefined` when no answer came (connection refused, reset). */
  readonly status: number | undefined
  readonly message: string
}> {}

/** No answer within the configured timeout. */
export class ChatCompletionsTimedOut extends Data.TaggedError("ChatCompletionsTimedOut")<{
  readonly timeout: Duration.Duration
  readonly message: string
}> {}

/** A 2xx answer that is not a chat completion (not JSON, no choices, no text). */
export class ChatCompletionsMalformed extends Data.TaggedError("ChatCompletionsMalformed")<{
  readonly message: string
}> {}

/** Every way a call can fail; each has a `message` fit to show a team. */
export type ChatCompletionsError =
  ChatCompletionsRejected | ChatCompletionsUnavailable | ChatCompletionsTimedOut | ChatCompletionsMalformed

/** The chat-completions interface the plugins use; `makeChatCompletions` is its HTTP client. */
export interface ChatCompletions {
  readonly complete: (messages: ReadonlyArray<ChatMessage>) => Effect.Effect<ChatAnswer, ChatCompletionsError>
}

const Completion = Schema.Struct({
  model: Schema.optional(Schema.String),
  choices: Schema.NonEmptyArray(
    Schema.Struct({
      message: Schema.Struct({ content: Schema.NullOr(Schema.String) }),
      finish_reason: Schema.optional(Schema.NullOr(Schema.String))
    })
  )
})

// OpenAI's error shape; other servers send plain text or `{ "detail": ... }`, read as text.
const ErrorBody = Schema.parseJson(
  Schema.Struct({ error: Schema.Union(Schema.String, Schema.Struct({ message: Schema.String })) })
)

const errorMessage = (status: number, body: string): string => {
  const decoded = Schema.decodeUnknownEither(ErrorBody)(body)
  const detail = Either.isRight(decoded)
    ? typeof decoded.right.error === "string"
      ? decoded.right.error
      : decoded.right.error.message
    : body.trim().slice(0, 200)
  return detail === "" ? `HTTP ${status}` : `HTTP ${status}: ${detail}`
}

/** The endpoint of a base URL, whether or not it ends with `/` or `/v1`. */
export const completionsUrl = (baseUrl: string): string =>
  `${baseUrl.replace(/\/+$/, "").replace(/\/v1$/, "")}/v1/chat/completions`

/**
 * A chat-completions client over `http` (a plugin's `ctx.http`). Each call is one POST with the
 * whole conversation; nothing is kept between calls.
 */
export const makeChatCompletions = (
  http: HttpClient.HttpClient,
  options: ChatCompletionsOptions
): ChatCompletions => {
  const timeout = Duration.decode(options.timeout)
  const url = completionsUrl(options.baseUrl)

  const complete = Effect.fn("ChatCompletions.complete")(function* (messages: ReadonlyArray<ChatMessage>) {
    const body = {
      model: options.model,
      messages: messages.map(({ role, content }) => ({ role, content })),
      ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
      ...(options.maxTokens === undefined ? {} : { max_tokens: options.maxTokens })
    }
    const request = HttpClientRequest.post(url).pipe(
      HttpClientRequest.acceptJson,
      HttpClientRequest.bodyUnsafeJson(body),
      options.apiKey === undefined || options.apiKey === ""
        ? (request) => request
        : HttpClientRequest.bearerToken(options.apiKey)
    )
    const exchange = Effect.gen(function* () {
      const response = yield* http.execute(request)
      const text = yield* response.text
      return { status: response.status, text }
    }).pipe(
      Effect.scoped,
      Effect.mapError(
        (error) =>
          new ChatCompletionsUnavailable({
            status: undefined,
            message: `${url} could not be reached (${error.message})`
          })
      ),
      Effect.timeoutFail({
        duration: timeout,
        onTimeout: () =>
          new ChatCompletionsTimedOut({
            timeout,
            message: `${url} did not answer within ${Duration.format(timeout)}`
          })
      })
    )
    const { status, text } = yield* exchange
    if (status >= 500)
      return yield* new ChatCompletionsUnavailable({ status, message: errorMessage(status, text) })
    if (status >= 400)
      return yield* new ChatCompletionsRejected({ status, message: errorMessage(status, text) })
    if (status < 200 || status >= 300)
      return yield* new ChatCompletionsMalformed({ message: `unexpected HTTP ${status}` })
    const decoded = Schema.decodeUnknownEither(Schema.parseJson(Completion))(text)
    if (Either.isLeft(decoded))
      return yield* new ChatCompletionsMalformed({
        message: `not a chat completion: ${ParseResult.TreeFormatter.formatErrorSync(decoded.left).split("\n")[0]}`
      })
    const choice = decoded.right.choices[0]
    const content = Option.fromNullable(choice.message.content).pipe(
      Option.map((content) => content.trim()),
      Option.filter((content) => content !== "")
    )
    if (Option.isNone(content))
      return yield* new ChatCompletionsMalformed({ message: "the answer has no text" })
    return {
      text: content.value,
      model: decoded.right.model ?? options.model,
      finishReason: choice.finish_reason ?? undefined
    } satisfies ChatAnswer
  })

  return { complete }
}
