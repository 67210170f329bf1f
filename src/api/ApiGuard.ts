import {
  HttpIncomingMessage,
  HttpMiddleware,
  HttpServerRequest,
  HttpServerResponse,
  type HttpApp
} from "@effect/platform"
import { Cause, Effect, Option } from "effect"
import { requestIdHeader, requestIdOf } from "../http/Http.ts"
import { maxUploadBytes } from "./ApiUploads.ts"

/** The largest request body the API reads: 1 MB (an event's JSON, a message). */
export const maxBodyBytes = 1024 * 1024

// `POST /api/v1/groups/{group}/topics/{topic}/messages`: the one endpoint that takes a file.
const messagePath = /^\/api\/v1\/groups\/[^/]+\/topics\/[^/]+\/messages(\?|$)/

export { requestIdHeader }

const json = (status: number, body: Record<string, unknown>) =>
  HttpServerResponse.unsafeJson(body, { status })

const bodyOf = (response: HttpServerResponse.HttpServerResponse): unknown => {
  if (response.body._tag !== "Uint8Array") return undefined
  try {
    return JSON.parse(new TextDecoder().decode(response.body.body)) as unknown
  } catch {
    return undefined
  }
}

interface Issue {
  readonly path: ReadonlyArray<PropertyKey>
  readonly message: string
}

/** A failure the API's router did not turn into a response, as one: never a 500 for bad input. */
const fromCause = (cause: Cause.Cause<unknown>, requestId: string, limit: number) =>
  Effect.gen(function* () {
    const error = Cause.squash(cause) as {
      readonly _tag?: string
      readonly reason?: string
      readonly description?: string
    }
    if (error._tag === "RouteNotFound") return json(404, { _tag: "NotFound", error: "no such endpoint" })
    if (error._tag === "RequestError" && error.reason === "Decode") {
      const tooLarge = /max|exceed|large/i.test(error.description ?? "")
      return tooLarge
        ? json(413, { _tag: "PayloadTooLarge", error: `the body is larger than ${limit} bytes` })
        : json(400, { _tag: "BadRequest", error: "the body is not valid JSON (or multipart)", field: "body" })
    }
    // A multipart body the parser could not start on (no usable boundary) surfaces as a defect.
    if (error instanceof Error && /InvalidBoundary/.test(error.message))
      return json(400, {
        _tag: "BadRequest",
        error: "the multipart body has no usable boundary",
        field: "content-type"
      })
    if (error._tag === "MultipartError")
      return /TooLarge|TooMany/.test(error.reason ?? "")
        ? json(413, { _tag: "PayloadTooLarge", error: `the body is larger than ${limit} bytes` })
        : json(400, { _tag: "BadRequest", error: "the multipart body could not be read", field: "body" })
    if (error._tag === "RequestError")
      return json(400, { _tag: "BadRequest", error: "the request could not be read" })
    if (Cause.isInterruptedOnly(cause))
      return json(499, { _tag: "Interrupted", error: "the request was interrupted" })
    yield* Effect.logError("api: request failed", cause).pipe(Effect.annotateLogs({ requestId }))
    return json(500, { _tag: "InternalError", error: "internal error", requestId })
  })

/**
 * Normalises what the API answers: a 4xx is always a JSON error with an `error` line (a schema
 * error names the field: `field` and `error: "text: Expected string"`), a 429 carries
 * `Retry-After`, every response `X-Request-Id`. Bodies over 1 MB (a message with a file, multipart:
 * 20 MB) are refused with 413 before they are read, bodies that are neither with 415. The platform's request log is off here (its line holds the query string, where a
 * calendar app's token may be); a line without the query is logged instead.
 */
export const apiGuard = <E, R>(app: HttpApp.Default<E, R>) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const requestId = requestIdOf(request)
    const length = Number(request.headers["content-length"] ?? "0")
    const type = (request.headers["content-type"] ?? "application/json").toLowerCase()
    const hasBody = !["GET", "HEAD", "OPTIONS", "DELETE"].includes(request.method)
    // Only a message takes a file (multipart); everything else is JSON.
    const multipart =
      type.includes("multipart/form-data") && request.method === "POST" && messagePath.test(request.url)
    const limit = multipart ? maxUploadBytes : maxBodyBytes
    let response =
      Number.isFinite(length) && length > limit
        ? json(413, { _tag: "PayloadTooLarge", error: `the body is larger than ${limit} bytes` })
        : multipart &&
            !/^multipart\/form-data *;(.*;)? *boundary=("[^"]+"|[!#$%&'*+.^\w`|~-]+) *(;|$)/.test(type)
          ? json(400, {
              _tag: "BadRequest",
              error: "a multipart body needs its boundary in Content-Type",
              field: "content-type"
            })
          : hasBody && !type.includes("json") && !multipart
            ? json(415, {
                _tag: "UnsupportedMediaType",
                error:
                  "the body must be JSON (Content-Type: application/json), or multipart/form-data for a message with a file",
                field: "content-type"
              })
            : yield* app.pipe(
                HttpIncomingMessage.withMaxBodySize(Option.some(limit)),
                Effect.catchAllCause((cause) => fromCause(cause, requestId, limit))
              )
    if (response.status >= 400 && response.status < 500) {
      const body = bodyOf(response) as Record<string, unknown> | undefined
      if (body === undefined || typeof body !== "object" || body === null)
        response = json(response.status, { _tag: "Error", error: `request refused (${response.status})` })
      else if (body["_tag"] === "HttpApiDecodeError") {
        const issues = (body["issues"] ?? []) as ReadonlyArray<Issue>
        const first = issues[0]
        const field = first?.path.map(String).join(".") ?? ""
        response = json(400, {
          _tag: "BadRequest",
          error:
            first === undefined
              ? String(body["message"])
              : `${field === "" ? "request" : field}: ${first.message}`,
          field,
          issues
        })
      } else if (response.status === 429 && typeof body["retryAfter"] === "number")
        response = HttpServerResponse.setHeader(response, "retry-after", String(body["retryAfter"]))
    }
    response = HttpServerResponse.setHeader(response, requestIdHeader, requestId)
    const path = request.url.split("?")[0] ?? ""
    yield* Effect.logDebug(`api: ${request.method} ${path} ${response.status}`).pipe(
      Effect.annotateLogs({ requestId })
    )
    return response
  }).pipe(HttpMiddleware.withLoggerDisabled)
