import { randomUUID } from "node:crypto"
import { createServer } from "node:http"
import {
  HttpApp,
  HttpMiddleware,
  HttpRouter,
  HttpServer,
  HttpServerRequest,
  HttpServerResponse
} from "@effect/platform"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Data, Effect, FiberRef, Layer, LogLevel } from "effect"
import { AppConfig } from "../Config.ts"

/**
 * The routes of Backline's one HTTP server. A module adds its routes with a layer:
 * `AppRouter.use((router) => router.get("/path", handler))`.
 */
export class AppRouter extends HttpRouter.Tag("app/AppRouter")<AppRouter>() {}

/** The HTTP server could not listen on `HTTP_HOST:HTTP_PORT`; `reason` says why in one line. */
export class HttpListenFailed extends Data.TaggedError("HttpListenFailed")<{
  readonly host: string
  readonly port: number
  readonly reason: string
}> {}

const listenReason = (cause: unknown): string => {
  const code = (cause as { code?: string }).code
  if (code === "EADDRINUSE") return "the port is already in use (another Backline? set HTTP_PORT)"
  if (code === "EACCES") return "permission denied (ports below 1024 need privileges; set HTTP_PORT)"
  if (code === "EADDRNOTAVAIL") return "this machine has no such address (set HTTP_HOST)"
  return cause instanceof Error ? cause.message : String(cause)
}

/** The address a person should open: a wildcard host is reachable as localhost. */
export const displayUrl = (address: HttpServer.Address): string =>
  address._tag === "UnixAddress"
    ? `unix:${address.path}`
    : `http://${["0.0.0.0", "::", ""].includes(address.hostname) ? "localhost" : address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname}:${address.port}`

/** A Node HTTP server listening on `HTTP_HOST:HTTP_PORT`. */
export const HttpServerLive = Layer.unwrapEffect(
  Effect.map(AppConfig, ({ httpHost, httpPort }) =>
    NodeHttpServer.layer(createServer, { host: httpHost, port: httpPort }).pipe(
      Layer.mapError(
        (error) => new HttpListenFailed({ host: httpHost, port: httpPort, reason: listenReason(error.cause) })
      )
    )
  )
)

// Any path no module claims answers a JSON 404 rather than an empty body.
const NotFoundRoute = AppRouter.use((router) =>
  router.all("*", HttpServerResponse.json({ error: "not found" }, { status: 404 }))
)

/** The header every response carries: the caller's own id (if sane) or a new one. */
export const requestIdHeader = "x-request-id"

/** The request's id: its `X-Request-Id` when that is 1 to 128 of `[A-Za-z0-9_.:-]`, else a new UUID. */
export const requestIdOf = (request: HttpServerRequest.HttpServerRequest) => {
  const given = request.headers[requestIdHeader]
  return given !== undefined && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID()
}

// Every response, errors and 404s included, gets an `X-Request-Id`, unless its route set one (the API
// does, to log with it).
const withRequestId = <E, R>(app: HttpApp.Default<E, R>) =>
  Effect.zipRight(
    HttpApp.appendPreResponseHandler((request, response) =>
      Effect.succeed(
        response.headers[requestIdHeader] === undefined
          ? HttpServerResponse.setHeader(response, requestIdHeader, requestIdOf(request))
          : response
      )
    ),
    app
  )

/**
 * Serves every route added to `AppRouter`, logging each request at debug level, each response with
 * an `X-Request-Id`; also provides the `HttpServer`.
 */
export const HttpLive = AppRouter.serve((app) =>
  Effect.locally(HttpMiddleware.logger(withRequestId(app)), FiberRef.currentLogLevel, LogLevel.Debug)
).pipe(Layer.provide(NotFoundRoute), Layer.provideMerge(HttpServerLive))
