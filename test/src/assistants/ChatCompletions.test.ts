import { FetchHttpClient, HttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { afterAll, beforeAll, beforeEach } from "vitest"
import { completionsUrl, makeChatCompletions } from "../../../src/assistants/ChatCompletions.ts"
import {
  startChatCompletionsServer,
  type ChatCompletionsServer
} from "../../support/ChatCompletionsServer.ts"

let server: ChatCompletionsServer
beforeAll(async () => {
  server = await startChatCompletionsServer()
})
afterAll(() => server.close())
beforeEach(() => {
  server.clear()
  server.respondWith(() => ({ text: "OK" }))
})

const complete = (
  options: {
    readonly apiKey?: string
    readonly timeout?: Duration.DurationInput
    readonly baseUrl?: string
  } = {}
) =>
  Effect.gen(function* () {
    const http = yield* HttpClient.HttpClient
    const chat = makeChatCompletions(http, {
      baseUrl: options.baseUrl ?? server.url,
      apiKey: options.apiKey,
      model: "test-model",
      timeout: options.timeout ?? "5 seconds",
      temperature: 0.2
    })
    return yield* chat.complete([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Hello?" }
    ])
  }).pipe(Effect.provide(FetchHttpClient.layer))

describe("ChatCompletions", () => {
  it.effect("posts the model, messages and key, and answers the first choice's text", () =>
    Effect.gen(function* () {
      server.respondWith(() => ({ text: "  Hi there.\n" }))
      const answer = yield* complete({ apiKey: "sk-test" })
      expect(answer).toEqual({ text: "Hi there.", model: "test-model", finishReason: "stop" })
      const [request] = server.requests
      expect(request?.path).toBe("/v1/chat/completions")
      expect(request?.authorization).toBe("Bearer sk-test")
      expect(request?.body).toEqual({
        model: "test-model",
        temperature: 0.2,
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "Hello?" }
        ]
      })
    })
  )

  it.effect("sends no Authorization header without a key", () =>
    Effect.gen(function* () {
      yield* complete()
      expect(server.requests[0]?.authorization).toBeUndefined()
    })
  )

  it("accepts base URLs with or without /v1 and a trailing slash", () => {
    expect(completionsUrl("http://h:1")).toBe("http://h:1/v1/chat/completions")
    expect(completionsUrl("http://h:1/v1/")).toBe("http://h:1/v1/chat/completions")
    expect(completionsUrl("http://h:1/openai/")).toBe("http://h:1/openai/v1/chat/completions")
  })

  it.effect("a 4xx is Rejected with the server's message", () =>
    Effect.gen(function* () {
      server.respondWith(() => ({ status: 401, error: "Incorrect API key provided" }))
      const error = yield* Effect.flip(complete({ apiKey: "wrong" }))
      expect(error._tag).toBe("ChatCompletionsRejected")
      expect(error.message).toBe("HTTP 401: Incorrect API key provided")
    })
  )

  it.effect("a 5xx is Unavailable, with a plain-text body read as the reason", () =>
    Effect.gen(function* () {
      server.respondWith(() => ({ raw: "upstream overloaded", status: 503 }))
      const error = yield* Effect.flip(complete())
      expect(error).toMatchObject({ _tag: "ChatCompletionsUnavailable", status: 503 })
      expect(error.message).toBe("HTTP 503: upstream overloaded")
    })
  )

  // Live: the timeout runs on the real clock, as in Backline.
  it.live("a server that does not answer in time is TimedOut", () =>
    Effect.gen(function* () {
      server.respondWith(() => ({ hang: true }))
      const started = Date.now()
      const error = yield* Effect.flip(complete({ timeout: "300 millis" }))
      expect(error._tag).toBe("ChatCompletionsTimedOut")
      expect(error.message).toMatch(/did not answer within 300ms/)
      expect(Date.now() - started).toBeLessThan(3000)
    })
  )

  it.effect("a refused connection or a dropped one is Unavailable without a status", () =>
    Effect.gen(function* () {
      const refused = yield* Effect.flip(complete({ baseUrl: "http://127.0.0.1:9" }))
      expect(refused).toMatchObject({ _tag: "ChatCompletionsUnavailable", status: undefined })
      server.respondWith(() => ({ drop: true }))
      const dropped = yield* Effect.flip(complete())
      expect(dropped).toMatchObject({ _tag: "ChatCompletionsUnavailable", status: undefined })
    })
  )

  it.effect("answers that are not completions are Malformed", () =>
    Effect.gen(function* () {
      for (const raw of [
        "<html>hello</html>",
        `{"choices":[]}`,
        `{"choices":[{"message":{"content":null}}]}`
      ]) {
        server.respondWith(() => ({ raw }))
        const error = yield* Effect.flip(complete())
        expect(error._tag).toBe("ChatCompletionsMalformed")
      }
      server.respondWith(() => ({ text: "   " }))
      expect((yield* Effect.flip(complete())).message).toBe("the answer has no text")
    })
  )
})
