import { HttpServer } from "@effect/platform"
import { layer } from "@effect/vitest"
import { Effect, Exit, Layer, Option, Scope } from "effect"
import { expect } from "vitest"
import { AppConfig } from "../../src/Config.ts"
import { displayUrl, HttpLive } from "../../src/http/Http.ts"
import { ensurePlaygroundBuilt } from "../../src/playground/Assets.ts"
import { Playground, PlaygroundRoutes } from "../../src/playground/Playground.ts"
import { demoWorld } from "../../src/sandbox/Demo.ts"
import { Sandbox } from "../../src/sandbox/Sandbox.ts"
import { testConfig } from "../support/Config.ts"

const Live = HttpLive.pipe(
  Layer.provide(PlaygroundRoutes),
  Layer.provideMerge(Playground.Default),
  Layer.provideMerge(Layer.succeed(AppConfig, testConfig(Option.none())))
)

const request = (path: string, init?: RequestInit) =>
  Effect.gen(function* () {
    const url = displayUrl((yield* HttpServer.HttpServer).address)
    const response = yield* Effect.promise(() => fetch(`${url}${path}`, init))
    const type = response.headers.get("content-type") ?? ""
    const body: unknown = type.startsWith("application/json")
      ? yield* Effect.promise(() => response.json())
      : type.startsWith("text/event-stream")
        ? yield* Effect.promise(async () => {
            // The first frame is enough; then the client goes.
            const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
            const first = await reader.read()
            await reader.cancel()
            return first.value ?? ""
          })
        : yield* Effect.promise(() => response.text())
    return { status: response.status, type, body }
  })

layer(Live, { timeout: 60_000 })("the playground's routes on Backline's server", (it) => {
  it.effect("answer 404 until a sandbox is attached, then serve the page, the cast and the control API", () =>
    Effect.gen(function* () {
      yield* Effect.promise(() => ensurePlaygroundBuilt())
      // With a real bot token nothing is attached: nothing of the sandbox is exposed.
      for (const path of ["/", "/playground/v1/demo", "/sandbox/v1/users", "/sandbox/v1/events"])
        expect((yield* request(path)).status, path).toBe(404)

      const sandbox = new Sandbox({ limits: { enabled: false } })
      const demo = demoWorld(sandbox)
      const scope = yield* Scope.make()
      yield* Scope.extend((yield* Playground).attach({ sandbox, demo }), scope)

      const page = yield* request("/")
      expect(page.status).toBe(200)
      expect(page.type).toContain("text/html")
      const script = /src="(\/assets\/[^"]+\.js)"/.exec(String(page.body))?.[1]
      expect(script).toBeDefined()
      const asset = yield* request(script!)
      expect(asset.status).toBe(200)
      expect(asset.type).toContain("text/javascript")
      expect((yield* request("/assets/..%2F..%2Fpackage.json")).status).toBe(404)

      const cast = yield* request("/playground/v1/demo")
      expect(cast.body).toMatchObject({
        bot: { id: demo.bot.user.id, username: "backline_demo_bot" },
        group: { id: demo.group.id, title: "Backline Demo" },
        admin: { id: demo.admin.id },
        operators: [{ id: demo.operators[0].id }, { id: demo.operators[1].id }]
      })
      // The bot's token is not part of what the page gets.
      expect(JSON.stringify(cast.body)).not.toContain(demo.bot.token)

      // The control API, as the sandbox serves it.
      const sent = yield* request("/sandbox/v1/messages", {
        method: "POST",
        body: JSON.stringify({ from: demo.clients[0].id, chat_id: demo.bot.user.id, text: "Hi" })
      })
      expect(sent).toMatchObject({ status: 200, body: { text: "Hi", from: { id: demo.clients[0].id } } })
      const seen = yield* request(`/sandbox/v1/chats/${demo.bot.user.id}/messages?as=${demo.clients[0].id}`)
      expect(seen.body).toMatchObject([{ text: "Hi" }])
      expect(yield* request("/sandbox/v1/messages", { method: "POST", body: "{not json" })).toMatchObject({
        status: 400,
        body: { field: "body" }
      })
      expect(yield* request("/sandbox/v1/nothing")).toMatchObject({ status: 404, body: { field: "path" } })

      const events = yield* request("/sandbox/v1/events")
      expect(events).toMatchObject({ status: 200, type: "text/event-stream", body: ": sandbox events\n\n" })

      // When Backline stops, the sandbox goes: open event streams end (a page left open does not
      // hold up shutdown) and the routes answer 404 again.
      const url = displayUrl((yield* HttpServer.HttpServer).address)
      const open = yield* Effect.promise(() => fetch(`${url}/sandbox/v1/events`))
      const reader = open.body!.getReader()
      yield* Effect.promise(() => reader.read())
      yield* Scope.close(scope, Exit.void)
      const rest = yield* Effect.promise(async () => {
        for (;;) if ((await reader.read()).done) return "ended"
      }).pipe(Effect.timeout("5 seconds"))
      expect(rest).toBe("ended")
      expect((yield* request("/playground/v1/demo")).status).toBe(404)
      sandbox.close()
    })
  )
})
