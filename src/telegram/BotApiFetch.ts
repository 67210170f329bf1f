import * as http from "node:http"
import * as https from "node:https"
import type { Readable } from "node:stream"

/** What grammY hands its `fetch`: its keep-alive agent, the JSON or multipart body, its abort signal. */
interface Init {
  readonly method?: string
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string | Readable
  readonly agent?: http.Agent
  readonly signal?: {
    readonly aborted: boolean
    addEventListener(type: "abort", listener: () => void): void
    removeEventListener(type: "abort", listener: () => void): void
  }
}

/** The part of a `fetch` response grammY reads. */
interface Answer {
  readonly ok: boolean
  readonly status: number
  json(): Promise<unknown>
}

/** Rejected like `fetch` is when the call is aborted (grammY's timeout aborts it). */
class AbortError extends Error {
  override readonly name = "AbortError"
  readonly code = "ABORT_ERR"
}

/**
 * The `fetch` Backline gives grammY's API client (its `client.fetch` option): one `http.request` on
 * grammY's own keep-alive agent per call, the answer read whole and parsed as JSON, an abort
 * honoured. The Bot API needs no more of `fetch` than that; node-fetch, grammY's default on
 * Node.js, spends more time per call than the request itself on a local Bot API server. Network
 * errors reject with Node's error (its `code`, such as `ECONNREFUSED`), as node-fetch's do.
 */
export const botApiFetch = (url: string, init: Init = {}): Promise<Answer> =>
  new Promise<Answer>((resolve, reject) => {
    const { signal } = init
    if (signal?.aborted) return reject(new AbortError("The operation was aborted"))
    const send = url.startsWith("https:") ? https.request : http.request
    const headers =
      typeof init.body === "string"
        ? { ...init.headers, "content-length": String(Buffer.byteLength(init.body)) }
        : init.headers
    const request = send(url, { method: init.method ?? "GET", headers, agent: init.agent }, (response) => {
      const chunks: Array<Buffer> = []
      response.on("data", (chunk: Buffer) => chunks.push(chunk))
      response.on("error", fail)
      response.on("end", () => {
        signal?.removeEventListener("abort", abort)
        const text = Buffer.concat(chunks).toString("utf8")
        const status = response.statusCode ?? 0
        resolve({
          ok: status >= 200 && status < 300,
          status,
          json: () => new Promise((ok) => ok(JSON.parse(text)))
        })
      })
    })
    function fail(error: Error) {
      signal?.removeEventListener("abort", abort)
      reject(error)
    }
    function abort() {
      request.destroy(new AbortError("The operation was aborted"))
    }
    signal?.addEventListener("abort", abort)
    request.on("error", fail)
    if (init.body === undefined || typeof init.body === "string") request.end(init.body)
    else init.body.on("error", (error: Error) => request.destroy(error)).pipe(request)
  })

/**
 * `botApiFetch` as grammY's `client.fetch` option. grammY types that option as node-fetch's
 * `fetch`, whose type declarations are not installed (it is an error type here), so the value is
 * handed over as `never`; grammY calls no more of it than `botApiFetch` implements.
 */
export const grammyFetch = botApiFetch as never
