import { HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, Option, Ref, Stream } from "effect"
import { AppRouter } from "../http/Http.ts"
import { controlRoute } from "../sandbox/ControlHttp.ts"
import type { DemoWorld } from "../sandbox/Demo.ts"
import type { SandboxEvent } from "../sandbox/Events.ts"
import type { Sandbox } from "../sandbox/Sandbox.ts"
import { readAsset } from "./Assets.ts"

/** The sandbox world the playground shows, once `backline start` has made it. */
export interface PlaygroundWorld {
  readonly sandbox: Sandbox
  readonly demo: DemoWorld
}

/**
 * The browser playground of `npm start` without a bot token. Its routes exist from the start and
 * answer 404 until the sandbox is attached, so with a real bot token nothing of the sandbox is exposed.
 */
export class Playground extends Effect.Service<Playground>()("app/Playground", {
  effect: Effect.gen(function* () {
    const world = yield* Ref.make(Option.none<PlaygroundWorld>())
    // Open event streams end when the world goes, so a page left open does not hold up shutdown.
    const streams = new Set<() => void>()
    return {
      /** Shows `attached` until the caller's scope closes. */
      attach: (attached: PlaygroundWorld) =>
        Effect.zipRight(
          Ref.set(world, Option.some(attached)),
          Effect.addFinalizer(() =>
            Effect.zipRight(
              Ref.set(world, Option.none()),
              Effect.sync(() => {
                for (const end of streams) end()
                streams.clear()
              })
            )
          )
        ),
      world: Ref.get(world),
      streams
    } as const
  })
}) {}

const notFound = HttpServerResponse.unsafeJson({ error: "not found" }, { status: 404 })
const encoder = new TextEncoder()

/** The demo's cast, for the page's pickers: the bot, the backend group and its team. */
const cast = ({ demo }: PlaygroundWorld) => ({
  bot: demo.bot.user,
  group: { id: demo.group.id, title: demo.group.title },
  admin: demo.admin,
  operators: demo.operators
})

/** `GET /sandbox/v1/events` as server-sent events, the same frames the sandbox's own server sends. */
const eventStream = (sandbox: Sandbox, streams: Set<() => void>) =>
  HttpServerResponse.stream(
    Stream.async<Uint8Array>((emit) => {
      void emit.single(encoder.encode(": sandbox events\n\n"))
      const stop = sandbox.events.subscribe((event: SandboxEvent) => {
        void emit.single(encoder.encode(`data: ${JSON.stringify(event)}\n\n`))
      })
      const beat = setInterval(() => void emit.single(encoder.encode(": ping\n\n")), 15_000)
      const end = () => void emit.end()
      streams.add(end)
      return Effect.sync(() => {
        stop()
        clearInterval(beat)
        streams.delete(end)
      })
    }),
    { contentType: "text/event-stream", headers: { "cache-control": "no-cache" } }
  )

/**
 * The playground's routes: the page at `/` and its assets, the demo's cast at
 * `/playground/v1/demo`, and the sandbox's control API at `/sandbox/v1/...` (with its event stream),
 * all only while a sandbox is attached.
 */
export const PlaygroundRoutes = AppRouter.use((router) =>
  Effect.gen(function* () {
    const playground = yield* Playground
    const attached = Effect.flatMap(
      playground.world,
      Option.match({
        onNone: () => Effect.fail(notFound),
        onSome: Effect.succeed
      })
    )
    const page = Effect.gen(function* () {
      yield* attached
      const request = yield* HttpServerRequest.HttpServerRequest
      const asset = yield* Effect.promise(() => readAsset(new URL(request.url, "http://x").pathname))
      if (asset === undefined) return notFound
      return HttpServerResponse.uint8Array(asset.body, { contentType: asset.type })
    }).pipe(Effect.merge)
    yield* router.get("/", page)
    yield* router.get("/assets/*", page)
    yield* router.get(
      "/playground/v1/demo",
      Effect.map(attached, (world) => HttpServerResponse.unsafeJson(cast(world))).pipe(Effect.merge)
    )
    yield* router.all(
      "/sandbox/v1/*",
      Effect.gen(function* () {
        const { sandbox } = yield* attached
        const request = yield* HttpServerRequest.HttpServerRequest
        const url = new URL(request.url, "http://x")
        const path = url.pathname.slice("/sandbox/v1".length)
        if (path === "/events" && request.method === "GET") return eventStream(sandbox, playground.streams)
        const text = request.method === "GET" ? "" : yield* Effect.orElseSucceed(request.text, () => "")
        let body: unknown
        try {
          body = text === "" ? undefined : JSON.parse(text)
        } catch {
          return HttpServerResponse.unsafeJson(
            { error: "the body is not valid JSON", field: "body" },
            { status: 400 }
          )
        }
        const answer = controlRoute(sandbox, request.method, path, url.searchParams, body)
        return HttpServerResponse.unsafeJson(answer.body, { status: answer.status })
      }).pipe(Effect.merge)
    )
  })
)
