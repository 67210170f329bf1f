/**
 * Translation for the `translate` plugin: the `Translator` interface and two backends, a client
 * of LibreTranslate-compatible APIs (`POST /translate`, `POST /detect`, `api_key` in the body) and
 * one over an OpenAI-compatible chat-completions endpoint (`ChatCompletions`).
 *
 * @example
 * const translator = makeLibreTranslate(ctx.http, { baseUrl: "http://127.0.0.1:5000", timeout: "8 seconds" })
 * const done = yield* translator.translate("Wo ist meine Bestellung?", "en")
 * yield* ctx.reply(`${done.source} → en: ${done.text}`)
 */
import { HttpClientRequest, type HttpClient } from "@effect/platform"
import { Data, Duration, Effect, Either, Schema } from "effect"
import type { ChatCompletions } from "./ChatCompletions.ts"

/** A translation, and the language it was made from (as given, or detected). */
export interface Translated {
  readonly text: string
  /** ISO 639-1 code of the original, when given or detected. */
  readonly source: string | undefined
}

/** The backend failed, refused, timed out or answered nonsense; `message` is fit to show a team. */
export class TranslationFailed extends Data.TaggedError("TranslationFailed")<{ readonly message: string }> {}

/** A translation backend. */
export interface Translator {
  /** Translates `text` into `target`; from `source`, or from the language the backend detects. */
  readonly translate: (
    text: string,
    target: string,
    source?: string
  ) => Effect.Effect<Translated, TranslationFailed>
  /** The language of `text` (ISO 639-1), or undefined when the backend cannot tell. */
  readonly detect: (text: string) => Effect.Effect<string | undefined, TranslationFailed>
}

export interface LibreTranslateOptions {
  /** The server's root (`https://libretranslate.com`, `http://127.0.0.1:5000`). */
  readonly baseUrl: string
  /** Sent as `api_key` when the server needs one. */
  readonly apiKey?: string | undefined
  readonly timeout: Duration.DurationInput
}

const Translation = Schema.Struct({
  translatedText: Schema.String,
  detectedLanguage: Schema.optional(Schema.Struct({ language: Schema.String }))
})
const Detections = Schema.Array(Schema.Struct({ language: Schema.String, confidence: Schema.Number }))
const ErrorBody = Schema.parseJson(Schema.Struct({ error: Schema.String }))

/** The LibreTranslate API: JSON bodies, errors as `{ "error": "..." }`. */
export const makeLibreTranslate = (
  http: HttpClient.HttpClient,
  options: LibreTranslateOptions
): Translator => {
  const root = options.baseUrl.replace(/\/+$/, "")
  const timeout = Duration.decode(options.timeout)
  const post = <A, I>(path: string, body: Record<string, unknown>, schema: Schema.Schema<A, I>) =>
    Effect.gen(function* () {
      const url = `${root}${path}`
      const request = HttpClientRequest.post(url).pipe(
        HttpClientRequest.acceptJson,
        HttpClientRequest.bodyUnsafeJson(
          options.apiKey === undefined || options.apiKey === "" ? body : { ...body, api_key: options.apiKey }
        )
      )
      const { status, text } = yield* Effect.gen(function* () {
        const response = yield* http.execute(request)
        return { status: response.status, text: yield* response.text }
      }).pipe(
        Effect.scoped,
        Effect.disconnect,
        Effect.mapError(
          (error) => new TranslationFailed({ message: `${url} could not be reached (${error.message})` })
        ),
        Effect.timeoutFail({
          duration: timeout,
          onTimeout: () =>
            new TranslationFailed({ message: `${url} did not answer within ${Duration.format(timeout)}` })
        })
      )
      if (status < 200 || status >= 300) {
        const error = Schema.decodeUnknownEither(ErrorBody)(text)
        const detail = Either.isRight(error) ? error.right.error : text.trim().slice(0, 200)
        return yield* new TranslationFailed({
          message: `${url}: HTTP ${status}${detail === "" ? "" : `: ${detail}`}`
        })
      }
      const decoded = Schema.decodeUnknownEither(Schema.parseJson(schema))(text)
      if (Either.isLeft(decoded))
        return yield* new TranslationFailed({ message: `${url} answered no ${path.slice(1)} result` })
      return decoded.right
    })

  return {
    translate: (text, target, source) =>
      Effect.map(
        post("/translate", { q: text, source: source ?? "auto", target, format: "text" }, Translation),
        (done) => ({ text: done.translatedText, source: source ?? done.detectedLanguage?.language })
      ),
    detect: (text) => Effect.map(post("/detect", { q: text }, Detections), (found) => found[0]?.language)
  }
}

/** Translation by a chat model: the prompt asks for the translation only, or for a language code. */
export const makeChatTranslator = (chat: ChatCompletions): Translator => {
  const ask = (system: string, text: string) =>
    chat
      .complete([
        { role: "system", content: system },
        { role: "user", content: text }
      ])
      .pipe(Effect.mapError((error) => new TranslationFailed({ message: error.message })))
  const detect = (text: string) =>
    Effect.map(
      ask(
        "Name the language of the user's message as a two-letter ISO 639-1 code. Answer with the code only.",
        text
      ),
      (answer) => /^[a-z]{2}\b/i.exec(answer.text.trim())?.[0]?.toLowerCase()
    )
  return {
    detect,
    translate: (text, target, source) =>
      Effect.gen(function* () {
        const from = source ?? (yield* detect(text))
        const answer = yield* ask(
          `Translate the user's message into the language with the ISO 639-1 code "${target}". ` +
            "Answer with the translation only, keeping names, numbers and formatting.",
          text
        )
        return { text: answer.text, source: from }
      })
  }
}
