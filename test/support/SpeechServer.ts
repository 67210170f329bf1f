/**
 * A local server speaking the OpenAI speech-to-text protocol (`POST /v1/audio/transcriptions`,
 * multipart with `file`, `model`, `response_format`), for tests of the `transcribe` plugin. It
 * checks each request as a whisper.cpp server would: a `file` part and a `model` are required, and
 * with `accepts: "wav"` the file must be a PCM WAV (else 400 "unsupported audio format"). It answers
 * `verbose_json` (`text`, `language`, `duration`) as the test says, or an error, or never.
 *
 * @example
 * const stt = await startSpeechServer({ accepts: "wav" }, () => ({ text: "hello", language: "english" }))
 * // ... point the plugin's `url` at stt.url
 * expect(stt.requests[0]?.file.isWav).toBe(true)
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { readBody, startLocalServer } from "./LocalHttpServer.ts"

/** One request the server received. */
export interface RecordedSpeechRequest {
  readonly authorization: string | undefined
  readonly model: string | undefined
  readonly responseFormat: string | undefined
  readonly language: string | undefined
  readonly file: {
    readonly name: string
    readonly type: string
    readonly bytes: Buffer
    /** A RIFF/WAVE file. */
    readonly isWav: boolean
    /** An OGG container (Telegram's voice messages). */
    readonly isOgg: boolean
  }
}

/** How to answer one request. */
export type SpeechReply =
  | {
      readonly text: string
      readonly language?: string
      readonly duration?: number
      readonly delayMs?: number
    }
  | { readonly status: number; readonly error: string }
  | { readonly hang: true }

export type SpeechResponder = (request: RecordedSpeechRequest) => SpeechReply

export interface SpeechServer {
  /** The base URL to configure (`http://127.0.0.1:<port>`). */
  readonly url: string
  /** Every well-formed request received, in order. */
  readonly requests: ReadonlyArray<RecordedSpeechRequest>
  respondWith(responder: SpeechResponder): void
  close(): Promise<void>
}

const send = (res: ServerResponse, status: number, body: unknown) => {
  const text = JSON.stringify(body)
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
  res.end(text)
}

const fail = (res: ServerResponse, status: number, message: string) =>
  send(res, status, { error: { message, type: "invalid_request_error" } })

const field = (form: FormData, name: string) => {
  const value = form.get(name)
  return typeof value === "string" ? value : undefined
}

/** Starts the server on a free local port. */
export const startSpeechServer = async (
  options: { readonly accepts?: "wav" | "any" } = {},
  responder: SpeechResponder = () => ({ text: "OK", language: "english" })
): Promise<SpeechServer> => {
  const requests: Array<RecordedSpeechRequest> = []
  let respond = responder

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req)
    if (req.method !== "POST" || (req.url ?? "").split("?")[0] !== "/v1/audio/transcriptions")
      return fail(res, 404, `no route ${req.method} ${req.url}`)
    const type = req.headers["content-type"] ?? ""
    if (!type.startsWith("multipart/form-data")) return fail(res, 400, "expected multipart/form-data")
    let form: FormData
    try {
      form = await new Request("http://speech.local/", {
        method: "POST",
        headers: { "content-type": type },
        body
      }).formData()
    } catch {
      return fail(res, 400, "the multipart body could not be read")
    }
    const file = form.get("file")
    if (file === null || typeof file === "string") return fail(res, 400, "the file part is missing")
    const model = field(form, "model")
    if (model === undefined || model === "") return fail(res, 400, "model is required")
    const bytes = Buffer.from(await file.arrayBuffer())
    const isWav = bytes.toString("latin1", 0, 4) === "RIFF" && bytes.toString("latin1", 8, 12) === "WAVE"
    const request: RecordedSpeechRequest = {
      authorization: req.headers.authorization,
      model,
      responseFormat: field(form, "response_format"),
      language: field(form, "language"),
      file: {
        name: file.name,
        type: file.type,
        bytes,
        isWav,
        isOgg: bytes.toString("latin1", 0, 4) === "OggS"
      }
    }
    requests.push(request)
    if (options.accepts === "wav" && !isWav) return fail(res, 400, "unsupported audio format (expected WAV)")
    const reply = respond(request)
    if ("hang" in reply) return
    if ("error" in reply) return fail(res, reply.status, reply.error)
    if (reply.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, reply.delayMs))
    if (res.destroyed) return
    if (request.responseFormat !== "verbose_json") return send(res, 200, { text: reply.text })
    send(res, 200, {
      task: "transcribe",
      language: reply.language ?? "english",
      duration: reply.duration ?? 1,
      text: reply.text,
      segments: []
    })
  }

  const server = await startLocalServer(handle, (res, error) => fail(res, 500, String(error)))
  return {
    url: server.url,
    requests,
    respondWith: (next) => {
      respond = next
    },
    close: server.close
  }
}
