import { Data, Duration, Effect, Option, Schedule, Schema } from "effect"
import {
  isOgg,
  makeOpenAiTranscriber,
  oggToWav,
  wavSeconds,
  type Transcript
} from "../../src/assistants/Transcription.ts"
import { definePlugin, type PluginContext, type PluginEventOf } from "../../src/plugins/definePlugin.ts"
import { bytes, clock, mediaOf, notTranscribed, transcriptText, uploadOf, type Media } from "./media.ts"

/** The Bot API lets a bot download files of at most 20 MB. */
const telegramMaxBytes = 20 * 1024 * 1024

const Config = Schema.Struct({
  /** The backend: an OpenAI-compatible `/v1/audio/transcriptions` endpoint. */
  backend: Schema.optionalWith(Schema.Literal("openai"), { default: () => "openai" as const }),
  url: Schema.String.pipe(
    Schema.pattern(/^https?:\/\/\S+$/, { message: () => "must be an http:// or https:// URL" })
  ),
  apiKey: Schema.optional(Schema.String),
  model: Schema.optionalWith(Schema.NonEmptyString, { default: () => "whisper-1" }),
  /** A language hint (ISO 639-1); without it the backend detects the language. */
  language: Schema.optional(
    Schema.String.pipe(Schema.pattern(/^[a-z]{2}$/, { message: () => "must be a two-letter code" }))
  ),
  /** `wav`: OGG/Opus voice messages are decoded to WAV with opusdec first; `none`: sent as they are. */
  convert: Schema.optionalWith(Schema.Literal("wav", "none"), { default: () => "wav" as const }),
  /** Transcribe media anywhere in the group, not only clients' media in their topics. */
  anywhere: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  maxBytes: Schema.optionalWith(
    Schema.Int.pipe(
      Schema.between(1, telegramMaxBytes, { message: () => `must be from 1 to ${telegramMaxBytes}` })
    ),
    { default: () => telegramMaxBytes }
  ),
  maxSeconds: Schema.optionalWith(
    Schema.Int.pipe(Schema.positive({ message: () => "must be a positive number of seconds" })),
    { default: () => 600 }
  ),
  /** Download, conversion and transcription together; a plugin's delivery has 10 s in all. */
  timeoutSeconds: Schema.optionalWith(
    Schema.Number.pipe(Schema.between(1, 8, { message: () => "must be from 1 to 8 seconds" })),
    { default: () => 8 }
  ),
  /** Send the client the transcript of their own media too. */
  sendToClient: Schema.optionalWith(Schema.Boolean, { default: () => false })
})
type Config = typeof Config.Type
type Ctx = PluginContext<Config>

const Cached = Schema.Struct({
  text: Schema.String,
  language: Schema.UndefinedOr(Schema.String),
  duration: Schema.UndefinedOr(Schema.Number)
})
const cacheKey = (media: Media) => `transcript:${media.uniqueId}`

/** Why a media is not transcribed: said once in the topic, never retried. */
class Refused extends Data.TaggedError("Refused")<{ readonly reason: string }> {}

const tooLong = (seconds: number, config: Config) =>
  new Refused({
    reason: `it is ${clock(seconds)} long, longer than the ${clock(config.maxSeconds)} allowed.`
  })

/** Download, convert where needed, transcribe: what the backend heard, or why not. */
const transcribe = (media: Media, ctx: Ctx): Effect.Effect<Transcript, Refused> =>
  Effect.gen(function* () {
    const config = ctx.config
    const file = yield* ctx
      .downloadFile(media.fileId, { maxBytes: config.maxBytes })
      .pipe(
        Effect.mapError(
          (failed) => new Refused({ reason: `Telegram did not give the file (${failed.reason}).` })
        )
      )
    const convert = config.convert === "wav" && (media.kind === "voice" || isOgg(file.bytes))
    const audio = convert
      ? yield* oggToWav(file.bytes).pipe(
          Effect.mapError(
            (failed) => new Refused({ reason: `its audio could not be decoded: ${failed.message}.` })
          )
        )
      : file.bytes
    const seconds = convert ? wavSeconds(audio) : undefined
    if (seconds !== undefined && seconds > config.maxSeconds) return yield* tooLong(seconds, config)
    const backend = makeOpenAiTranscriber(ctx.http, {
      baseUrl: config.url,
      apiKey: config.apiKey,
      model: config.model,
      language: config.language,
      timeout: Duration.seconds(config.timeoutSeconds)
    })
    const heard = yield* backend
      .transcribe({ bytes: audio, ...uploadOf(media, file.path, convert) })
      .pipe(
        Effect.mapError(
          (failed) => new Refused({ reason: `the transcription service failed: ${failed.message}.` })
        )
      )
    return { ...heard, duration: heard.duration ?? seconds }
  }).pipe(
    Effect.timeoutFail({
      duration: Duration.seconds(ctx.config.timeoutSeconds),
      onTimeout: () => new Refused({ reason: `it took longer than ${ctx.config.timeoutSeconds} s.` })
    })
  )

/** Where the transcript goes: a reply to `replyTo` in the topic, and maybe to the client. */
interface Target {
  readonly chatId: number
  readonly threadId: number
  readonly replyTo: Effect.Effect<number | undefined>
  readonly client: number | undefined
}

const handle = (media: Media, target: Target, ctx: Ctx) =>
  Effect.gen(function* () {
    const config = ctx.config
    const cached = yield* ctx.storage.plugin
      .get(cacheKey(media), Cached)
      .pipe(Effect.orElseSucceed(Option.none))
    const outcome = Option.isSome(cached)
      ? { _tag: "Right" as const, transcript: cached.value }
      : media.size !== undefined && media.size > config.maxBytes
        ? new Refused({
            reason: `it has ${bytes(media.size)}, more than the ${bytes(config.maxBytes)} allowed.`
          })
        : media.duration > config.maxSeconds
          ? tooLong(media.duration, config)
          : yield* Effect.match(transcribe(media, ctx), {
              onFailure: (refused) => refused,
              onSuccess: (transcript) => ({ _tag: "Right" as const, transcript })
            })
    const replyTo = yield* target.replyTo
    const options =
      replyTo === undefined
        ? {}
        : { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } }
    const place = { chatId: target.chatId, threadId: target.threadId }
    if (outcome._tag === "Refused") {
      yield* ctx.log.warning(`${media.kind} ${media.uniqueId} not transcribed: ${outcome.reason}`)
      return yield* ctx.post(place, notTranscribed(media.kind, outcome.reason), options)
    }
    if (Option.isNone(cached)) yield* ctx.storage.plugin.set(cacheKey(media), outcome.transcript)
    const text = transcriptText(media.kind, outcome.transcript)
    yield* ctx.post(place, text, options)
    if (config.sendToClient && target.client !== undefined) yield* ctx.post({ chatId: target.client }, text)
  })

// The Sender copies the client's message into the topic right after the dialog journals it: wait briefly.
const copyOf = (event: PluginEventOf<"dialog.clientWrote">, ctx: Ctx) =>
  ctx.clientMessage(event).pipe(
    Effect.flatMap((found) =>
      Option.isSome(found) && found.value.copyId !== undefined
        ? Effect.succeed(found.value.copyId)
        : Effect.fail("no copy yet" as const)
    ),
    Effect.retry(Schedule.spaced("100 millis").pipe(Schedule.intersect(Schedule.recurs(15)))),
    Effect.orElseSucceed(() => undefined)
  )

export default definePlugin({
  id: "transcribe",
  description: "Transcribes voice messages, video messages, audio and videos; the text is posted as a reply",
  config: Config,
  on: {
    "dialog.clientWrote": (event, ctx) =>
      Effect.gen(function* () {
        const found = yield* ctx.clientMessage(event)
        const media = Option.isSome(found) ? mediaOf(found.value.message) : undefined
        if (media === undefined) return
        const target = { chatId: event.chatId, threadId: event.threadId, client: event.peerId }
        yield* handle(media, { ...target, replyTo: copyOf(event, ctx) }, ctx)
      }),
    "group.messagePosted": (event, ctx) => {
      const media = ctx.config.anywhere && event.from?.is_bot !== true ? mediaOf(event.message) : undefined
      if (media === undefined) return Effect.void
      const target = {
        chatId: event.chatId,
        threadId: event.threadId,
        replyTo: Effect.succeed(event.messageId),
        client: undefined
      }
      return handle(media, target, ctx)
    }
  }
})
