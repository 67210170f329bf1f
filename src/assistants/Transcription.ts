/**
 * Speech to text for the `transcribe` plugin: the `Transcriber` interface, its client of
 * OpenAI-compatible `POST <baseUrl>/v1/audio/transcriptions` endpoints (OpenAI, whisper.cpp's
 * server, faster-whisper servers, LocalAI), and the conversion of Telegram's OGG/Opus voice
 * messages to WAV with `opusdec` (Debian package `opus-tools`) for backends that need WAV.
 *
 * @example
 * const stt = makeOpenAiTranscriber(ctx.http, { baseUrl: "http://127.0.0.1:8080", model: "whisper-1", timeout: "8 seconds" })
 * const wav = yield* oggToWav(voice.bytes)
 * const transcript = yield* stt.transcribe({ bytes: wav, fileName: "voice.wav", mimeType: "audio/wav" })
 * yield* ctx.reply(`${transcript.text} (${transcript.language})`)
 */
import { spawn } from "node:child_process"
import { HttpClientRequest, type HttpClient } from "@effect/platform"
import { Data, Duration, Effect, Either, Schema } from "effect"

/** The audio to transcribe, as it will be uploaded. */
export interface AudioFile {
  readonly bytes: Uint8Array
  readonly fileName: string
  readonly mimeType: string
}

/** What the backend heard. */
export interface Transcript {
  readonly text: string
  /** The spoken language as the backend names it (`english`, `de`), when it says. */
  readonly language: string | undefined
  /** Seconds of audio, when the backend says. */
  readonly duration: number | undefined
}

/** The backend refused the request (4xx): a wrong key, model or format; retrying will not help. */
export class TranscriptionRejected extends Data.TaggedError("TranscriptionRejected")<{
  readonly status: number
  readonly message: string
}> {}

/** The backend failed (5xx) or could not be reached. */
export class TranscriptionUnavailable extends Data.TaggedError("TranscriptionUnavailable")<{
  readonly message: string
}> {}

/** No answer within the configured timeout. */
export class TranscriptionTimedOut extends Data.TaggedError("TranscriptionTimedOut")<{
  readonly message: string
}> {}

/** A 2xx answer that is not a transcription. */
export class TranscriptionMalformed extends Data.TaggedError("TranscriptionMalformed")<{
  readonly message: string
}> {}

/** The audio could not be decoded (not OGG/Opus, or `opusdec` is missing). */
export class AudioUndecodable extends Data.TaggedError("AudioUndecodable")<{ readonly message: string }> {}

export type TranscriptionError =
  TranscriptionRejected | TranscriptionUnavailable | TranscriptionTimedOut | TranscriptionMalformed

/** A speech-to-text backend; more can be added beside the HTTP one. */
export interface Transcriber {
  readonly transcribe: (audio: AudioFile) => Effect.Effect<Transcript, TranscriptionError>
}

export interface OpenAiTranscriberOptions {
  /** The server's root, without `/v1`. */
  readonly baseUrl: string
  /** Sent as `Authorization: Bearer <apiKey>` when set. */
  readonly apiKey?: string | undefined
  readonly model: string
  /** A language hint (ISO 639-1) when the team knows it; else the backend detects it. */
  readonly language?: string | undefined
  readonly timeout: Duration.DurationInput
}

const VerboseJson = Schema.Struct({
  text: Schema.String,
  language: Schema.optional(Schema.NullOr(Schema.String)),
  duration: Schema.optional(Schema.NullOr(Schema.Number))
})

const detailOf = (status: number, body: string) => {
  const json = Schema.decodeUnknownEither(
    Schema.parseJson(
      Schema.Struct({ error: Schema.Union(Schema.String, Schema.Struct({ message: Schema.String })) })
    )
  )(body)
  const detail = Either.isRight(json)
    ? typeof json.right.error === "string"
      ? json.right.error
      : json.right.error.message
    : body.trim().slice(0, 200)
  return detail === "" ? `HTTP ${status}` : `HTTP ${status}: ${detail}`
}

/** The endpoint of a base URL, whether or not it ends with `/` or `/v1`. */
export const transcriptionsUrl = (baseUrl: string): string =>
  `${baseUrl.replace(/\/+$/, "").replace(/\/v1$/, "")}/v1/audio/transcriptions`

/**
 * The OpenAI-compatible backend: one multipart POST (`file`, `model`, `response_format=verbose_json`,
 * `language` when configured) per transcription.
 */
export const makeOpenAiTranscriber = (
  http: HttpClient.HttpClient,
  options: OpenAiTranscriberOptions
): Transcriber => {
  const url = transcriptionsUrl(options.baseUrl)
  const timeout = Duration.decode(options.timeout)
  const transcribe = Effect.fn("Transcription.transcribe")(function* (audio: AudioFile) {
    const form = new FormData()
    form.append("file", new Blob([audio.bytes], { type: audio.mimeType }), audio.fileName)
    form.append("model", options.model)
    form.append("response_format", "verbose_json")
    if (options.language !== undefined) form.append("language", options.language)
    const request = HttpClientRequest.post(url).pipe(
      HttpClientRequest.acceptJson,
      HttpClientRequest.bodyFormData(form),
      options.apiKey === undefined || options.apiKey === ""
        ? (request) => request
        : HttpClientRequest.bearerToken(options.apiKey)
    )
    const { status, body } = yield* Effect.gen(function* () {
      const response = yield* http.execute(request)
      return { status: response.status, body: yield* response.text }
    }).pipe(
      Effect.scoped,
      // A hanging server must not hold the caller: the timeout answers at once, the call ends behind it.
      Effect.disconnect,
      Effect.mapError(
        (error) => new TranscriptionUnavailable({ message: `${url} could not be reached (${error.message})` })
      ),
      Effect.timeoutFail({
        duration: timeout,
        onTimeout: () =>
          new TranscriptionTimedOut({ message: `${url} did not answer within ${Duration.format(timeout)}` })
      })
    )
    if (status >= 500) return yield* new TranscriptionUnavailable({ message: detailOf(status, body) })
    if (status >= 400) return yield* new TranscriptionRejected({ status, message: detailOf(status, body) })
    const decoded = Schema.decodeUnknownEither(Schema.parseJson(VerboseJson))(body)
    if (Either.isLeft(decoded) || status >= 300)
      return yield* new TranscriptionMalformed({ message: `${url} answered no verbose_json transcription` })
    return {
      text: decoded.right.text.trim(),
      language: decoded.right.language ?? undefined,
      duration: decoded.right.duration ?? undefined
    } satisfies Transcript
  })
  return { transcribe }
}

/** Whether the bytes are an OGG container (Telegram's voice messages: OGG/Opus). */
export const isOgg = (bytes: Uint8Array): boolean =>
  bytes.length >= 4 && Buffer.from(bytes.subarray(0, 4)).toString("latin1") === "OggS"

/** Seconds of audio in a PCM WAV file, or undefined when it is not one. */
export const wavSeconds = (bytes: Uint8Array): number | undefined => {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (
    data.length < 44 ||
    data.toString("latin1", 0, 4) !== "RIFF" ||
    data.toString("latin1", 8, 12) !== "WAVE"
  )
    return undefined
  let offset = 12
  let byteRate = 0
  while (offset + 8 <= data.length) {
    const id = data.toString("latin1", offset, offset + 4)
    const size = data.readUInt32LE(offset + 4)
    if (id === "fmt ") byteRate = data.readUInt32LE(offset + 16)
    if (id === "data") {
      const length = Math.min(size, data.length - offset - 8)
      return byteRate === 0 ? undefined : length / byteRate
    }
    offset += 8 + size + (size % 2)
  }
  return undefined
}

// opusdec writes a WAV to a pipe with unknown sizes: set them, since some backends read them.
const fixSizes = (wav: Buffer) => {
  if (wav.length >= 44 && wav.toString("latin1", 36, 40) === "data") {
    wav.writeUInt32LE(wav.length - 8, 4)
    wav.writeUInt32LE(wav.length - 44, 40)
  }
  return wav
}

/**
 * Decodes OGG/Opus to 16 kHz mono WAV with `opusdec` (Debian package `opus-tools`). Fails with
 * `AudioUndecodable` when the input is not OGG/Opus or `opusdec` is not installed.
 */
export const oggToWav = (bytes: Uint8Array): Effect.Effect<Uint8Array, AudioUndecodable> =>
  Effect.async<Uint8Array, AudioUndecodable>((resume) => {
    const child = spawn("opusdec", ["--quiet", "--rate", "16000", "--force-wav", "-", "-"], {
      stdio: ["pipe", "pipe", "pipe"]
    })
    const out: Array<Buffer> = []
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk))
    child.stderr.resume()
    child.stdin.on("error", () => {}) // opusdec may stop reading input it cannot decode
    child.on("error", (error: NodeJS.ErrnoException) =>
      resume(
        Effect.fail(
          new AudioUndecodable({
            message:
              error.code === "ENOENT"
                ? "opusdec is not installed (Debian package opus-tools)"
                : `opusdec failed: ${error.message}`
          })
        )
      )
    )
    child.on("close", (code) => {
      const wav = Buffer.concat(out)
      if (code === 0 && wav.length > 44) return resume(Effect.succeed(new Uint8Array(fixSizes(wav))))
      resume(Effect.fail(new AudioUndecodable({ message: "not OGG/Opus audio" })))
    })
    child.stdin.end(Buffer.from(bytes))
    return Effect.sync(() => void child.kill())
  })
