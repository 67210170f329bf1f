import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer, Redacted } from "effect"
import { InputFile } from "grammy"
import { afterAll, beforeAll } from "vitest"
import { botConnectionId } from "../../../src/domain/Ids.ts"
import { startSandbox, type RunningSandbox } from "../../../src/sandbox/Server.ts"
import { BotApi, BotApiConfig } from "../../../src/telegram/BotApi.ts"
import type { BotConnection } from "../../../src/telegram/Connections.ts"

let box: RunningSandbox
let connection: BotConnection
let client: number
let forum: number
let owner: number

beforeAll(async () => {
  box = await startSandbox({ limits: { enabled: false } })
  const bot = box.world.createBot({ username: "botapi_bot" })
  connection = { id: botConnectionId(bot.token), token: Redacted.make(bot.token), apiRoot: box.apiRoot }
  client = box.world.createUser({ first_name: "Client" }).id
  box.world.sendMessage({ from: client, chat_id: bot.user.id, text: "/start" })
  owner = box.world.createUser({ first_name: "Owner" }).id
  forum = box.world.createChat({
    type: "supergroup",
    title: "Team",
    is_forum: true,
    owner,
    admins: [bot.user.id]
  }).id
})

afterAll(() => box.close())

/** The outcome of one call, as `Either`: Telegram's result or the sorted failure. */
const outcome = (
  method: string,
  params: Record<string, unknown>,
  as: BotConnection = connection,
  timeoutSeconds = 30
) =>
  Effect.flatMap(BotApi, (api) => Effect.either(api.call(as, method, params))).pipe(
    Effect.provide(BotApi.Default.pipe(Layer.provide(Layer.succeed(BotApiConfig, { timeoutSeconds }))))
  )

describe("BotApi", () => {
  it.live("answers Telegram's result", () =>
    Effect.gen(function* () {
      const sent = yield* outcome("sendMessage", { chat_id: client, text: "hello" })
      expect(sent).toMatchObject({ _tag: "Right", right: { text: "hello", chat: { id: client } } })
      expect(box.world.messages(Number(connection.id.split(":")[1]), client).at(-1)?.text).toBe("hello")
    })
  )

  it.live("sorts 429 into RateLimited with Telegram's retry_after", () =>
    Effect.gen(function* () {
      box.world.fault({ method: "sendMessage", chat_id: client, error_code: 429, retry_after: 7 })
      const failed = yield* outcome("sendMessage", { chat_id: client, text: "too fast" })
      expect(failed).toEqual(Either.left(expect.objectContaining({ _tag: "RateLimited", retryAfter: 7 })))
    })
  )

  it.live("sorts 400, 403 and 401 into PermanentFailure with Telegram's description", () =>
    Effect.gen(function* () {
      const topic = box.world.createTopic(forum, { from: owner, name: "Gone" })
      box.world.topicAction(forum, topic.message_thread_id, "delete")
      const noThread = yield* outcome("sendMessage", {
        chat_id: forum,
        message_thread_id: topic.message_thread_id,
        text: "into the void"
      })
      expect(noThread).toEqual(
        Either.left(
          expect.objectContaining({
            _tag: "PermanentFailure",
            code: 400,
            description: "Bad Request: message thread not found"
          })
        )
      )
      const blocker = box.world.createUser({ first_name: "Blocker" }).id
      const botId = Number(connection.id.split(":")[1])
      box.world.sendMessage({ from: blocker, chat_id: botId, text: "/start" })
      box.world.block({ user: blocker, bot: botId })
      expect(yield* outcome("sendMessage", { chat_id: blocker, text: "hi" })).toEqual(
        Either.left(
          expect.objectContaining({ code: 403, description: "Forbidden: bot was blocked by the user" })
        )
      )
      const stranger = { ...connection, token: Redacted.make("123:unknown-token") }
      expect(yield* outcome("getMe", {}, stranger)).toEqual(
        Either.left(
          expect.objectContaining({ _tag: "PermanentFailure", code: 401, description: "Unauthorized" })
        )
      )
    })
  )

  it.live("sorts 5xx and lost connections into TransientFailure, never quoting the token", () =>
    Effect.gen(function* () {
      box.world.fault({ method: "sendMessage", chat_id: client, error_code: 502 })
      expect(yield* outcome("sendMessage", { chat_id: client, text: "a" })).toEqual(
        Either.left(expect.objectContaining({ _tag: "TransientFailure", code: 502, reason: "Bad Gateway" }))
      )
      box.world.fault({ method: "sendMessage", chat_id: client, kind: "drop" })
      const dropped = yield* outcome("sendMessage", { chat_id: client, text: "b" })
      expect(dropped).toEqual(Either.left(expect.objectContaining({ _tag: "TransientFailure" })))
      expect(JSON.stringify(dropped)).not.toContain(Redacted.value(connection.token))
      expect(yield* outcome("sendMessage", { chat_id: client, text: "c" })).toEqual(
        Either.right(expect.objectContaining({ text: "c" }))
      )
    })
  )

  it.live("sorts a refused connection and a call Telegram never answers into TransientFailure", () =>
    Effect.gen(function* () {
      const nowhere = { ...connection, apiRoot: "http://127.0.0.1:1" }
      const refused = yield* outcome("getMe", {}, nowhere)
      expect(refused).toEqual(Either.left(expect.objectContaining({ _tag: "TransientFailure" })))
      expect(
        Either.isLeft(refused) && refused.left._tag === "TransientFailure" && refused.left.reason
      ).toMatch(/ECONNREFUSED/)
      box.world.fault({ method: "sendMessage", chat_id: client, kind: "timeout" })
      const started = Date.now()
      const unanswered = yield* outcome("sendMessage", { chat_id: client, text: "lost" }, connection, 1)
      expect(unanswered).toEqual(Either.left(expect.objectContaining({ _tag: "TransientFailure" })))
      expect(Date.now() - started).toBeGreaterThanOrEqual(900)
    })
  )

  it.live("uploads files as multipart", () =>
    Effect.gen(function* () {
      const png = Buffer.from(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
        "base64"
      )
      const photo = yield* outcome("sendPhoto", {
        chat_id: client,
        photo: new InputFile(png, "dot.png"),
        caption: "a dot"
      })
      expect(photo).toMatchObject({ _tag: "Right", right: { caption: "a dot", photo: [expect.anything()] } })

      expect(yield* outcome("sendMessage", { chat_id: client, text: "after" })).toEqual(
        Either.right(expect.objectContaining({ text: "after" }))
      )
    })
  )
})
