/**
 * A local server speaking the OpenAI chat-completions protocol (`POST /v1/chat/completions`), for
 * tests of the assistant plugins: it records every request and answers by a function the test
 * gives (a text, an HTTP error, a malformed body, a delay or a dropped connection).
 *
 * @example
 * const server = await startChatCompletionsServer((request) => ({ text: `echo: ${request.messages.at(-1)?.content}` }))
 * // ... point the plugin's `url` at server.url
 * expect(server.requests[0]?.authorization).toBe("Bearer test-key")
 * await server.close()
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { readBody, startLocalServer } from "./LocalHttpServer.ts"

/** One request the server received. */
export interface RecordedCompletionRequest {
  readonly path: string
  /** The `Authorization` header, if any. */
  readonly authorization: string | undefined
  readonly model: string
  readonly messages: ReadonlyArray<{ readonly role: string; readonly content: string }>
  /** The whole JSON body. */
  readonly body: Record<string, unknown>
}

/** How to answer one request. */
export type CompletionReply =
  /** A completion whose first choice says `text`. */
  | { readonly text: string; readonly delayMs?: number; readonly finishReason?: string }
  /** An HTTP error: OpenAI's `{ "error": { "message" } }` body. */
  | { readonly status: number; readonly error: string; readonly delayMs?: number }
  /** Any body, sent as is with status 200 (for malformed answers). */
  | { readonly raw: string; readonly status?: number; readonly delayMs?: number }
  /** Never answer (the request is held until the client gives up or the server closes). */
  | { readonly hang: true }
  /** Close the connection without an answer. */
  | { readonly drop: true }

export type CompletionResponder = (
  request: RecordedCompletionRequest
) => CompletionReply | Promise<CompletionReply>

export interface ChatCompletionsServer {
  /** The base URL to configure (`http://127.0.0.1:<port>`), without `/v1`. */
  readonly url: string
  /** Every request received, in order. */
  readonly requests: ReadonlyArray<RecordedCompletionRequest>
  /** Replaces the responder for the requests that follow. */
  respondWith(responder: CompletionResponder): void
  /** Forgets the recorded requests. */
  clear(): void
  close(): Promise<void>
}

const send = (res: ServerResponse, status: number, body: string) => {
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) })
  res.end(body)
}

let completionId = 0

/** Starts the server on a free local port; `responder` defaults to answering "OK". */
export const startChatCompletionsServer = async (
  responder: CompletionResponder = () => ({ text: "OK" })
): Promise<ChatCompletionsServer> => {
  const requests: Array<RecordedCompletionRequest> = []
  let respond = responder

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const raw = (await readBody(req)).toString("utf8")
    const path = (req.url ?? "/").split("?")[0] ?? "/"
    if (req.method !== "POST" || path !== "/v1/chat/completions")
      return send(res, 404, JSON.stringify({ error: { message: `no route ${req.method} ${path}` } }))
    let body: Record<string, unknown>
    try {
      body = JSON.parse(raw) as Record<string, unknown>
    } catch {
      return send(res, 400, JSON.stringify({ error: { message: "the body is not JSON" } }))
    }
    const messages = Array.isArray(body["messages"])
      ? (body["messages"] as Array<{ role: string; content: string }>)
      : []
    const request: RecordedCompletionRequest = {
      path,
      authorization: req.headers.authorization,
      model: typeof body["model"] === "string" ? body["model"] : "",
      messages,
      body
    }
    requests.push(request)
    const reply = await respond(request)
    if ("hang" in reply) return
    if ("drop" in reply) return req.socket.destroy()
    if (reply.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, reply.delayMs))
    if (res.destroyed) return
    if ("raw" in reply) return send(res, reply.status ?? 200, reply.raw)
    if ("error" in reply)
      return send(res, reply.status, JSON.stringify({ error: { message: reply.error, type: "test_error" } }))
    completionId += 1
    send(
      res,
      200,
      JSON.stringify({
        id: `chatcmpl-${completionId}`,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: request.model,
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: reply.text },
            finish_reason: reply.finishReason ?? "stop"
          }
        ],
        usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }
      })
    )
  }

  const server = await startLocalServer(handle, (res, error) =>
    send(res, 500, JSON.stringify({ error: { message: String(error) } }))
  )

  return {
    url: server.url,
    requests,
    respondWith: (next) => {
      respond = next
    },
    clear: () => {
      requests.length = 0
    },
    close: server.close
  }
}
