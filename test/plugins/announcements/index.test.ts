import * as path from "node:path"
import { layer } from "@effect/vitest"
import { Effect, Either } from "effect"
import { expect } from "vitest"
import announcements from "../../../plugins/announcements/index.ts"
import { definePlugin } from "../../../src/plugins/definePlugin.ts"
import { decodeConfig } from "../../../src/plugins/PluginConfig.ts"
import { loadPlugins } from "../../../src/plugins/PluginLoader.ts"
import { MigratedDatabase } from "../../support/Gateway.ts"
import { groupCommand, groupMessage, harnessBot, makeHarness } from "../../support/PluginHarness.ts"

const team = -1001
const news = 5
const dana = { id: 21, first_name: "Dana", is_bot: false }
const oleg = { id: 31, first_name: "Oleg <O>", is_bot: false }
const defaultNotice = "Only admins post in the announcements topic, so your message there was removed."

/** A message in the announcements topic (by Oleg unless said otherwise). */
const inNews = (text: string, from: typeof dana | null = oleg) =>
  groupMessage({ chatId: team, threadId: news, text, from, topicKind: "announcements" })

const calls = (outbox: ReadonlyArray<{ method: string; chatId: number; params: Record<string, unknown> }>) =>
  outbox.map(({ method, chatId, params }) => {
    const { chat_id: _chat, ...rest } = params
    return [method, chatId, rest]
  })

layer(MigratedDatabase, { timeout: 60_000 })("announcements, through the plugin harness", (it) => {
  it.scoped(
    "a non-admin's post is deleted and its author told privately; admins' posts stay and are announced",
    () =>
      Effect.gen(function* () {
        const harness = yield* makeHarness(announcements, { admins: [dana.id] })
        const refused = inNews("hi all")
        yield* harness.deliver(refused)
        const kept = inNews("Release on Friday", dana)
        yield* harness.deliver(kept)
        yield* harness.deliver(inNews("/plugin help announcements", dana)) // a command: no announcement
        yield* harness.deliver(groupMessage({ chatId: team, threadId: 7, text: "elsewhere", from: oleg }))
        yield* harness.deliver(groupMessage({ chatId: team, text: "in General", from: oleg }))
        expect(calls(yield* harness.outbox)).toEqual([
          ["deleteMessage", team, { message_id: refused.messageId }],
          ["sendMessage", oleg.id, { text: defaultNotice }]
        ])
        expect(yield* harness.emitted).toEqual([
          {
            type: "announcements.posted",
            connection: harnessBot,
            chatId: team,
            threadId: news,
            messageId: kept.messageId,
            from: dana,
            text: "Release on Friday",
            pinned: false
          }
        ])
        // A post on behalf of the group itself is an anonymous admin's.
        yield* harness.deliver(inNews("From the management", null))
        expect((yield* harness.outbox).length).toBe(2)
        const posted = (yield* harness.emitted).filter((event) => event.type === "announcements.posted")
        expect(posted.map((event) => event.text)).toEqual(["Release on Friday", "From the management"])
      })
  )

  it.scoped("a notice Telegram refuses to send privately goes to General, mentioning the user", () =>
    Effect.gen(function* () {
      const harness = yield* makeHarness(announcements, {
        admins: [dana.id],
        config: { notice: "Post in Team <please>" }
      })
      yield* harness.deliver(inNews("hi all"))
      const refusal = (chatId: number) => ({
        type: "delivery.failed" as const,
        outbox_id: 1,
        connection_id: harnessBot,
        chat_id: chatId,
        method: "sendMessage",
        code: 403,
        description: "Forbidden: bot can't initiate conversation with a user"
      })
      yield* harness.deliver(refusal(oleg.id))
      yield* harness.deliver(refusal(oleg.id)) // told once
      yield* harness.deliver(refusal(99)) // not one of its notices
      expect(calls(yield* harness.outbox).slice(1)).toEqual([
        ["sendMessage", oleg.id, { text: "Post in Team <please>" }],
        [
          "sendMessage",
          team,
          {
            text: `<a href="tg://user?id=${oleg.id}">Oleg &lt;O&gt;</a>, Post in Team &lt;please&gt;`,
            parse_mode: "HTML"
          }
        ]
      ])
      expect(yield* harness.storage()).toEqual({})
    })
  )

  it.scoped("with pin on, admins' posts are pinned; the topic key makes a topic one by configuration", () =>
    Effect.gen(function* () {
      const harness = yield* makeHarness(announcements, {
        admins: [dana.id],
        config: { pin: true, topic: 9 }
      })
      const post = groupMessage({ chatId: team, threadId: 9, text: "Office closed Monday", from: dana })
      yield* harness.deliver(post)
      const intruder = groupMessage({ chatId: team, threadId: 9, text: "ok", from: oleg })
      yield* harness.deliver(intruder)
      expect(calls(yield* harness.outbox)).toEqual([
        ["pinChatMessage", team, { message_id: post.messageId }],
        ["deleteMessage", team, { message_id: intruder.messageId }],
        ["sendMessage", oleg.id, { text: defaultNotice }]
      ])
      expect(yield* harness.emitted).toMatchObject([{ messageId: post.messageId, pinned: true }])
    })
  )

  it.scoped("/announcements here makes the topic the announcements topic, for admins, not in General", () =>
    Effect.gen(function* () {
      const harness = yield* makeHarness(announcements, { admins: [dana.id] })
      const say = (text: string, from = dana, threadId = news) =>
        harness.deliver(groupCommand({ chatId: team, threadId, text, from }))
      yield* say("/announcements here", oleg)
      expect(yield* harness.mail).toEqual([])
      yield* say("/announcements here")
      expect(yield* harness.mail).toEqual([
        {
          actorKey: `group:${team}`,
          event: { type: "group.setTopicKind", threadId: news, kind: "announcements" }
        }
      ])
      yield* say("/announcements", dana)
      yield* say("/announcements here", dana, 1)
      expect((yield* harness.outbox).map((call) => call.params["text"])).toEqual([
        "/announcements is for the group's admins only.",
        "This topic now holds the team's announcements: only admins post here.",
        "Write /announcements here in the topic that is to hold the announcements.",
        "General stays open to everyone: write /announcements here in a topic."
      ])
      expect((yield* harness.mail).length).toBe(1)
    })
  )

  it.scoped("other plugins receive announcements.posted, typed, where they are enabled", () =>
    Effect.gen(function* () {
      const digest = definePlugin({
        id: "digest",
        description: "Collects announcements",
        on: {
          "announcements.posted": (event, ctx) =>
            ctx.storage.group.set(`post:${event.messageId}`, `${event.from?.first_name}: ${event.text}`)
        }
      })
      const harness = yield* makeHarness(digest)
      const event = {
        type: "announcements.posted" as const,
        connection: harnessBot,
        chatId: team,
        threadId: news,
        messageId: 77,
        from: dana,
        text: "Release on Friday",
        pinned: false
      }
      expect(yield* harness.deliver(event)).toEqual({ _tag: "Handled" })
      expect(yield* harness.storage({ chatId: team })).toEqual({ "post:77": "Dana: Release on Friday" })
      yield* harness.settings.setEnabled("digest", { chatId: team }, false)
      expect(yield* harness.deliver({ ...event, messageId: 78 })).toEqual({ _tag: "Skipped" })
    })
  )

  it("loads from plugins.json by its id, with every key defaulted", async () => {
    const loaded = await Effect.runPromise(
      loadPlugins({ plugins: [{ id: "announcements" }] }, { file: path.resolve("plugins.json") })
    )
    expect(loaded.map((entry) => [entry.plugin, entry.defaults, entry.enabled])).toEqual([
      [announcements, {}, true]
    ])
    expect(decodeConfig(loaded[0]!.plugin, {})).toEqual(Either.right({ notice: defaultNotice, pin: false }))
  })
})
