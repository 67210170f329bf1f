import * as path from "node:path"
import { layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Effect, Either, TestServices } from "effect"
import { expect } from "vitest"
import transcribe from "../../../plugins/transcribe/index.ts"
import { decodeConfig } from "../../../src/plugins/PluginConfig.ts"
import { loadPlugins } from "../../../src/plugins/PluginLoader.ts"
import { MigratedDatabase } from "../../support/Gateway.ts"
import { groupMessage, harnessBot, makeHarness } from "../../support/PluginHarness.ts"
import { startSpeechServer, type SpeechResponder } from "../../support/SpeechServer.ts"
import { voiceOgg } from "./audio.ts"
import { startBotFiles } from "./BotFiles.ts"

const team = -1001
const thread = 9
const ogg = voiceOgg(1.2)

/** A speech server and a Bot API file server for the test's scope. */
const servers = (accepts: "wav" | "any", responder?: SpeechResponder) =>
  Effect.acquireRelease(
    Effect.promise(async () => ({
      stt: await startSpeechServer({ accepts }, responder),
      files: await startBotFiles()
    })),
    ({ stt, files }) => Effect.promise(() => Promise.all([stt.close(), files.close()]))
  )

let nextFile = 1
/** A voice message posted in the team topic, its file served by `files`. */
const voicePost = (
  files: Awaited<ReturnType<typeof startBotFiles>>,
  bytes: Buffer,
  voice: { duration?: number; file_size?: number; uniqueId?: string } = {}
) => {
  const no = nextFile++
  const uniqueId = voice.uniqueId ?? `AgADvoice${no}`
  files.add(`AwACvoice${no}`, uniqueId, `voice/file_${no}.oga`, bytes)
  const base = groupMessage({ chatId: team, threadId: thread, text: null })
  const media = {
    file_id: `AwACvoice${no}`,
    file_unique_id: uniqueId,
    duration: voice.duration ?? 1,
    mime_type: "audio/ogg",
    file_size: voice.file_size ?? bytes.length
  }
  return { ...base, message: { ...base.message, voice: media } }
}

const texts = (outbox: ReadonlyArray<{ params: Record<string, unknown> }>) =>
  outbox.map((call) => call.params["text"])

// Timeouts and waits run on the real clock (the test clock would hold them forever).
const live = TestServices.provideLive

layer(MigratedDatabase, { timeout: 60_000 })("transcribe, through the plugin harness", (it) => {
  it("refuses a configuration without a URL, with a bad URL, format, limit or timeout, naming the key", () => {
    const decode = (config: Record<string, unknown>) => Either.getLeft(decodeConfig(transcribe, config))
    expect(decode({})._tag).toBe("Some")
    expect(String(decode({}).pipe((left) => (left._tag === "Some" ? left.value : "")))).toContain("url")
    const message = (config: Record<string, unknown>) => (decode(config) as { value?: string }).value ?? ""
    expect(message({ url: "ftp://stt" })).toContain("must be an http:// or https:// URL")
    expect(message({ url: "http://stt", convert: "mp3" })).toContain("convert")
    expect(message({ url: "http://stt", maxBytes: 30_000_000 })).toContain("must be from 1 to 20971520")
    expect(message({ url: "http://stt", timeoutSeconds: 30 })).toContain("must be from 1 to 8 seconds")
    expect(message({ url: "http://stt", language: "English" })).toContain("must be a two-letter code")
    expect(decodeConfig(transcribe, { url: "http://stt" })).toEqual(
      Either.right({
        backend: "openai",
        url: "http://stt",
        model: "whisper-1",
        convert: "wav",
        anywhere: false,
        maxBytes: 20 * 1024 * 1024,
        maxSeconds: 600,
        timeoutSeconds: 8,
        sendToClient: false
      })
    )
  })

  it("in plugins.json: without a URL start-up stops, naming the plugin and the key; with one it loads", async () => {
    const file = path.resolve("plugins.json")
    const missing = await Effect.runPromise(
      Effect.flip(loadPlugins({ plugins: [{ id: "transcribe" }] }, { file }))
    )
    expect(missing).toMatchObject({ _tag: "PluginInvalid", plugin: "transcribe" })
    expect(missing.detail).toMatch(/^config\.url: is missing/)
    const loaded = await Effect.runPromise(
      loadPlugins({ plugins: [{ id: "transcribe", config: { url: "http://127.0.0.1:8080" } }] }, { file })
    )
    expect(loaded.map((entry) => entry.plugin)).toEqual([transcribe])
  })

  it.scoped(
    "a voice message is decoded to WAV, transcribed once, and the cached transcript serves its copies",
    () =>
      live(
        Effect.gen(function* () {
          const { stt, files } = yield* servers("wav", () => ({
            text: "hello team",
            language: "english",
            duration: 1.2
          }))
          const harness = yield* makeHarness(transcribe, {
            apiRoot: files.apiRoot,
            config: { url: stt.url, apiKey: "sk-test", anywhere: true }
          })
          const post = voicePost(files, ogg, { uniqueId: "AgADsame" })
          expect(yield* harness.deliver(post)).toEqual({ _tag: "Handled" })
          expect(stt.requests).toHaveLength(1)
          const [request] = stt.requests
          expect(request).toMatchObject({
            authorization: "Bearer sk-test",
            model: "whisper-1",
            responseFormat: "verbose_json",
            file: { name: "voice.wav", type: "audio/wav", isWav: true }
          })
          const transcript = "📝 Transcript of the voice message (english, 0:01):\nhello team"
          const outbox = yield* harness.outbox
          expect(outbox).toEqual([
            {
              method: "sendMessage",
              chatId: team,
              params: {
                chat_id: team,
                message_thread_id: thread,
                text: transcript,
                reply_parameters: { message_id: post.messageId, allow_sending_without_reply: true }
              }
            }
          ])
          // The same file again (forwarded): answered from the cache, the backend is not asked.
          yield* harness.deliver(voicePost(files, ogg, { uniqueId: "AgADsame" }))
          expect(stt.requests).toHaveLength(1)
          expect(texts(yield* harness.outbox)).toEqual([transcript, transcript])
          expect(yield* harness.storage()).toEqual({
            "transcript:AgADsame": { text: "hello team", language: "english", duration: 1.2 }
          })
          // Off by default outside client topics: a voice in a team topic is left alone.
          const quiet = yield* makeHarness(transcribe, { apiRoot: files.apiRoot, config: { url: stt.url } })
          yield* quiet.deliver(voicePost(files, ogg))
          expect(yield* quiet.outbox).toEqual([])
        })
      )
  )

  it.scoped(
    "over the size or duration limit: one clear note, nothing downloaded or sent to the backend",
    () =>
      live(
        Effect.gen(function* () {
          const { stt, files } = yield* servers("wav")
          const harness = yield* makeHarness(transcribe, {
            apiRoot: files.apiRoot,
            config: { url: stt.url, anywhere: true, maxBytes: 5000, maxSeconds: 60 }
          })
          yield* harness.deliver(voicePost(files, ogg, { file_size: 8000 }))
          yield* harness.deliver(voicePost(files, ogg, { duration: 75, file_size: 1000 }))
          const notes = texts(yield* harness.outbox)
          // Telegram said 0 s, the decoded audio is longer than allowed.
          const short = yield* makeHarness(transcribe, {
            apiRoot: files.apiRoot,
            config: { url: stt.url, anywhere: true, maxSeconds: 1 }
          })
          yield* short.deliver(voicePost(files, voiceOgg(2.5), { duration: 0 }))
          expect(notes).toEqual([
            "⚠️ The voice message was not transcribed: it has 8 KB, more than the 5 KB allowed.",
            "⚠️ The voice message was not transcribed: it is 1:15 long, longer than the 1:00 allowed."
          ])
          expect(texts(yield* short.outbox)).toEqual([
            "⚠️ The voice message was not transcribed: it is 0:03 long, longer than the 0:01 allowed."
          ])
          expect(files.downloads()).toBe(1)
          expect(stt.requests).toEqual([])
        })
      )
  )

  it.scoped(
    "a failing, slow or refusing backend and undecodable audio are each noted once, not retried",
    () =>
      live(
        Effect.gen(function* () {
          const { stt, files } = yield* servers("wav", () => ({ status: 500, error: "model not loaded" }))
          const config = { url: stt.url, anywhere: true }
          const harness = yield* makeHarness(transcribe, { apiRoot: files.apiRoot, config })
          expect(yield* harness.deliver(voicePost(files, ogg))).toEqual({ _tag: "Handled" })
          yield* harness.deliver(voicePost(files, Buffer.from("not a voice message at all")))
          expect(texts(yield* harness.outbox)).toEqual([
            "⚠️ The voice message was not transcribed: the transcription service failed: HTTP 500: model not loaded.",
            "⚠️ The voice message was not transcribed: its audio could not be decoded: not OGG/Opus audio."
          ])
          stt.respondWith(() => ({ hang: true }))
          const slow = yield* makeHarness(transcribe, {
            apiRoot: files.apiRoot,
            config: { ...config, timeoutSeconds: 1 }
          })
          expect(yield* slow.deliver(voicePost(files, ogg))).toEqual({ _tag: "Handled" })
          expect(texts(yield* slow.outbox)).toEqual([
            expect.stringMatching(/^⚠️ The voice message was not transcribed: .*(within 1s|longer than 1 s)/)
          ])
          // Sent as it is (convert none), the OGG is refused by a server that takes WAV only.
          stt.respondWith(() => ({ text: "never" }))
          const raw = yield* makeHarness(transcribe, {
            apiRoot: files.apiRoot,
            config: { ...config, convert: "none" }
          })
          yield* raw.deliver(voicePost(files, ogg))
          expect(texts(yield* raw.outbox)).toEqual([
            "⚠️ The voice message was not transcribed: the transcription service failed: HTTP 400: unsupported audio format (expected WAV)."
          ])
          expect(stt.requests.at(-1)?.file).toMatchObject({ name: "voice.ogg", isOgg: true })
          expect(yield* raw.storage()).toEqual({})
          expect(yield* raw.retries.deadLetters("transcribe")).toEqual([])
        })
      )
  )

  it.scoped(
    "a client's voice note: the reply goes to its copy in the topic, and to the client when configured",
    () =>
      live(
        Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          const { stt, files } = yield* servers("wav", () => ({
            text: "where is my order",
            language: "en",
            duration: 1
          }))
          const harness = yield* makeHarness(transcribe, {
            apiRoot: files.apiRoot,
            config: { url: stt.url, sendToClient: true }
          })
          const client = 4242
          files.add("AwACclient", "AgADclient", "voice/file_client.oga", ogg)
          const voice = {
            file_id: "AwACclient",
            file_unique_id: "AgADclient",
            duration: 1,
            mime_type: "audio/ogg"
          }
          const message = { message_id: 17, date: 1, chat: { id: client, type: "private" }, voice }
          yield* sql`insert into inbox (connection_id, update_id, payload, status)
        values (${harnessBot}, 990017, ${JSON.stringify({ update_id: 990017, message })}::jsonb, 'done')`
          const [outbox] = yield* sql<{ id: string }>`
        insert into outbox (connection_id, chat_id, method, params, actor_key, cause, status)
        values (${harnessBot}, ${team}, 'copyMessage', '{}'::jsonb, 'dialog:x', 'test', 'sent') returning id`
          yield* sql`insert into message_map (outbox_id, connection_id, chat_id, message_id, source_chat_id, source_message_id)
        values (${outbox!.id}, ${harnessBot}, ${team}, 555, ${client}, 17)`
          yield* harness.deliver({
            type: "dialog.clientWrote",
            connection: harnessBot,
            peerId: client,
            chatId: team,
            threadId: thread,
            messageId: 17
          })
          const transcript = "📝 Transcript of the voice message (en, 0:01):\nwhere is my order"
          const sent = (yield* harness.outbox).map((call) => [
            call.chatId,
            call.params["text"],
            call.params["reply_parameters"]
          ])
          expect(sent).toEqual([
            [team, transcript, { message_id: 555, allow_sending_without_reply: true }],
            [client, transcript, undefined]
          ])
        })
      )
  )
})
