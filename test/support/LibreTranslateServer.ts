/**
 * A local server speaking the LibreTranslate API (`POST /translate`, `POST /detect`, JSON bodies,
 * `api_key` in the body, errors as `{ "error": "..." }`), for tests of the `translate` plugin. It
 * translates from a phrase book the test gives: each phrase with its language and its
 * translations; anything else is "unknown" (detected as `und`, translated unchanged).
 *
 * @example
 * const libre = await startLibreTranslateServer({ "Hallo": { language: "de", en: "Hello" } }, { apiKey: "k" })
 * // ... point the plugin's `url` at libre.url
 * expect(libre.requests.map((request) => request.path)).toEqual(["/translate"])
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { readBody, startLocalServer } from "./LocalHttpServer.ts"

/** Each phrase: its language, and its translations by language code. */
export type PhraseBook = Record<string, { readonly language: string } & Record<string, string>>

export interface RecordedTranslateRequest {
  readonly path: string
  readonly body: Record<string, unknown>
}

export interface LibreTranslateServer {
  readonly url: string
  readonly requests: ReadonlyArray<RecordedTranslateRequest>
  /** From now on answer every request with this HTTP error (`undefined`: translate again). */
  failWith(error: { readonly status: number; readonly error: string } | undefined): void
  close(): Promise<void>
}

const send = (res: ServerResponse, status: number, body: unknown) => {
  const text = JSON.stringify(body)
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
  res.end(text)
}

/** Starts the server on a free local port; with `apiKey`, requests without it get 403. */
export const startLibreTranslateServer = async (
  book: PhraseBook,
  options: { readonly apiKey?: string } = {}
): Promise<LibreTranslateServer> => {
  const requests: Array<RecordedTranslateRequest> = []
  let failure: { readonly status: number; readonly error: string } | undefined

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const raw = (await readBody(req)).toString("utf8")
    const path = (req.url ?? "/").split("?")[0] ?? "/"
    if (req.method !== "POST" || (path !== "/translate" && path !== "/detect"))
      return send(res, 404, { error: `Not Found: ${req.method} ${path}` })
    let body: Record<string, unknown>
    try {
      body = JSON.parse(raw) as Record<string, unknown>
    } catch {
      return send(res, 400, { error: "Invalid request: the body is not JSON" })
    }
    requests.push({ path, body })
    if (failure !== undefined) return send(res, failure.status, { error: failure.error })
    if (options.apiKey !== undefined && body["api_key"] !== options.apiKey)
      return send(res, 403, { error: "Visit https://portal.libretranslate.com to get an API key" })
    const q = body["q"]
    if (typeof q !== "string" || q === "")
      return send(res, 400, { error: "Invalid request: missing q parameter" })
    const entry = book[q.trim()]
    const language = entry?.language ?? "und"
    if (path === "/detect") return send(res, 200, [{ language, confidence: entry === undefined ? 0 : 92 }])
    const target = body["target"]
    if (typeof target !== "string" || target === "")
      return send(res, 400, { error: "Invalid request: missing target parameter" })
    const source = body["source"]
    const translatedText = entry?.[target] ?? q
    send(
      res,
      200,
      source === "auto" || source === undefined
        ? { translatedText, detectedLanguage: { language, confidence: 92 } }
        : { translatedText }
    )
  }

  const server = await startLocalServer(handle, (res, error) => send(res, 500, { error: String(error) }))
  return {
    url: server.url,
    requests,
    failWith: (error) => {
      failure = error
    },
    close: server.close
  }
}
