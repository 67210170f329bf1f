import { SqlClient } from "@effect/sql"
import { layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { expect } from "vitest"
import announcements from "../../../plugins/announcements/index.ts"
import { makeAdminPlugin } from "../../../src/plugins/AdminCommands.ts"
import type { PluginEvent } from "../../../src/plugins/definePlugin.ts"
import type { JournalRow } from "../../../src/plugins/PluginJournal.ts"
import { PluginRegistry, type LoadedPlugin } from "../../../src/plugins/PluginRegistry.ts"
import { PluginRetries } from "../../../src/plugins/PluginRetries.ts"
import { PluginSettings } from "../../../src/plugins/PluginSettings.ts"
import { ChatAdmins } from "../../../src/telegram/ChatAdmins.ts"
import tally from "../../plugins/tally/index.ts"
import { MigratedDatabase } from "../../support/Gateway.ts"
import { buttonPress, groupCommand, makeHarness } from "../../support/PluginHarness.ts"

const team = -1001
const dana = { id: 21, first_name: "Dana", is_bot: false }
const oleg = { id: 31, first_name: "Oleg", is_bot: false }

const managed: ReadonlyArray<LoadedPlugin> = [
  { plugin: tally, defaults: { label: "messages" }, enabled: true, system: false },
  { plugin: announcements, defaults: {}, enabled: false, system: false }
]

/** The admin plugin over tally and announcements, in a harness where Dana is the group's admin. */
const adminHarness = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`delete from plugin_setting where plugin_id in ('tally', 'announcements')`
  yield* sql`delete from plugin_delivery where plugin_id in ('tally', 'announcements')`
  const forgotten: Array<readonly [number, number]> = []
  const admins = ChatAdmins.make({
    isAdmin: (_connection, _chat, user) => Effect.succeed(user === dana.id),
    mayBan: (_connection, _chat, user) => Effect.succeed(user === dana.id),
    forget: (chat, user) => Effect.sync(() => void forgotten.push([chat, user]))
  })
  const admin = yield* makeAdminPlugin(managed).pipe(
    Effect.provide(
      Layer.mergeAll(
        PluginSettings.Default.pipe(Layer.provide(PluginRegistry.layer(managed))),
        PluginRetries.Default,
        Layer.succeed(ChatAdmins, admins)
      )
    )
  )
  const harness = yield* makeHarness(admin.plugin, { admins: [dana.id] })
  const settings = yield* Effect.provide(
    PluginSettings,
    PluginSettings.Default.pipe(Layer.provide(PluginRegistry.layer(managed)))
  )
  /** Delivers `event` and answers the texts the admin plugin sent for it. */
  const said = (event: PluginEvent) =>
    Effect.gen(function* () {
      const before = (yield* harness.outbox).length
      expect(yield* harness.deliver(event)).toEqual({ _tag: "Handled" })
      return (yield* harness.outbox).slice(before).map((call) => call.params["text"] as string)
    })
  const command = (text: string, from = dana, threadId = 5) =>
    said(groupCommand({ chatId: team, threadId, text, from }))
  return { admin, harness, settings, said, command, forgotten }
})

layer(MigratedDatabase, { timeout: 60_000 })("the admin commands, through the plugin harness", (it) => {
  it.scoped("only admins change anything: others get a short refusal and nothing changes", () =>
    Effect.gen(function* () {
      const { command, settings } = yield* adminHarness
      expect(yield* command("/plugin disable tally", oleg)).toEqual([
        "/plugin is for the group's admins only."
      ])
      expect(yield* command("/plugins", oleg)).toEqual(["/plugins is for the group's admins only."])
      expect(yield* command("/plugin config tally label posts", oleg)).toHaveLength(1)
      expect(yield* settings.inGroup(team)).toEqual([])
      expect((yield* settings.effective("tally", { chatId: team, threadId: 5 })).enabled).toBe(true)
    })
  )

  it.scoped(
    "/plugins lists each plugin on or off in the group and here; enable and disable, here or not",
    () =>
      Effect.gen(function* () {
        const { command, settings } = yield* adminHarness
        const tallyLine = (line: string) => line.split("\n").find((text) => text.startsWith("• tally"))
        expect(yield* command("/plugins")).toEqual([
          [
            "Plugins (in the group · in this topic):",
            "• tally: on · on — Counts each topic's messages; reminds a topic later",
            "• announcements: off · off — Only admins post in the announcements topic; their posts can be pinned",
            "Switch one with /plugin enable|disable <id> [here]; /plugin help <id> tells more."
          ].join("\n")
        ])
        expect(yield* command("/plugin disable tally here")).toEqual(["tally is now off in this topic."])
        expect(tallyLine((yield* command("/plugins"))[0]!)).toBe(
          "• tally: on · off (set here) — Counts each topic's messages; reminds a topic later"
        )
        expect(yield* command("/plugin disable tally", dana, 7)).toEqual(["tally is now off in this group."])
        expect(yield* command("/plugin enable tally")).toEqual([
          "tally is now on in this group. This topic keeps its own setting: off."
        ])
        expect((yield* settings.effective("tally", { chatId: team, threadId: 7 })).enabled).toBe(true)
        expect((yield* settings.effective("tally", { chatId: team, threadId: 5 })).enabled).toBe(false)
        expect(yield* command("/plugin enable announcements here")).toEqual([
          "announcements is now on in this topic."
        ])
        expect((yield* settings.effective("announcements", { chatId: team, threadId: 5 })).enabled).toBe(true)
        expect((yield* settings.effective("announcements", { chatId: team })).enabled).toBe(false)
      })
  )

  it.scoped("/plugin config shows the values in force and sets one, refusing a bad value by its key", () =>
    Effect.gen(function* () {
      const { command, settings } = yield* adminHarness
      const show = yield* command("/plugin config announcements")
      expect(show).toEqual([
        [
          "announcements configuration in force here:",
          "topic: not set",
          'notice = "Only admins post in the announcements topic, so your message there was removed." (default)',
          "pin = false (default)",
          "Set one for the group with /plugin config announcements <key> <value>."
        ].join("\n")
      ])
      expect(yield* command('/plugin config announcements notice ""')).toEqual([
        "announcements: config.notice: must not be empty. Nothing changed."
      ])
      expect(yield* command("/plugin config announcements pin maybe")).toEqual([
        'announcements: config.pin: Expected boolean, actual "maybe". Nothing changed.'
      ])
      expect(yield* command("/plugin config announcements topic 1")).toEqual([
        "announcements: config.topic: must be the thread id of a topic. Nothing changed."
      ])
      expect(yield* command("/plugin config announcements notise hi")).toEqual([
        'announcements: config.notise: is unexpected, expected: "topic" | "notice" | "pin". Nothing changed.'
      ])
      expect(yield* settings.inGroup(team)).toEqual([])

      expect(yield* command('/plugin config announcements notice "Admins only,  please"')).toEqual([
        'announcements: notice is now "Admins only,  please" in this group.'
      ])
      expect(yield* command("/plugin config announcements pin true")).toEqual([
        "announcements: pin is now true in this group."
      ])
      expect(yield* command("/plugin config tally label posts", dana, 9)).toEqual([
        'tally: label is now "posts" in this group.'
      ])
      expect((yield* command("/plugin config announcements"))[0]).toContain(
        'notice = "Admins only,  please" (set for the group)\npin = true (set for the group)'
      )
      expect((yield* command("/plugin config tally"))[0]).toContain('label = "posts" (set for the group)')
    })
  )

  it.scoped("/plugin help tells the description, the commands and the configuration in force", () =>
    Effect.gen(function* () {
      const { command } = yield* adminHarness
      expect(yield* command("/plugin help tally")).toEqual([
        [
          "tally: Counts each topic's messages; reminds a topic later",
          "Commands:",
          "/tally — How many messages this topic has",
          "/remind <seconds> <text> (admins) — Remind this topic of something later",
          "Configuration in force here:",
          'label = "messages" (plugins.json)'
        ].join("\n")
      ])
      expect(yield* command("/plugin help nope")).toEqual(['There is no plugin "nope". /plugins lists them.'])
      expect(yield* command("/plugin help plugin-admin")).toEqual([
        'There is no plugin "plugin-admin". /plugins lists them.'
      ])
      const [usage] = yield* command("/plugin frobnicate tally")
      expect(usage).toMatch(/^"frobnicate" is not a \/plugin action\.\n\n\/plugins: /)
    })
  )

  it.scoped(
    "/plugin errors lists the group's dead deliveries with Retry; an admin's press retries them",
    () =>
      Effect.gen(function* () {
        const { command, harness, said } = yield* adminHarness
        expect(yield* command("/plugin errors tally")).toEqual([
          "tally has no failed deliveries in this group."
        ])
        const sql = yield* SqlClient.SqlClient
        const retries = yield* Effect.provide(PluginRetries, PluginRetries.Default)
        const dead = (chatId: number) =>
          Effect.gen(function* () {
            const event = { type: "group.messagePosted", chatId, text: "boom" }
            const [row] = yield* sql<{ txid: string; seq: string }>`
            insert into journal (actor_key, cause, ordinal, type, event)
            values (${`group:${chatId}`}, ${`test:${chatId}:${Math.random()}`}, 0, 'group.messagePosted',
              ${JSON.stringify(event)}::jsonb)
            returning txid::text as txid, seq`
            const journalled: JournalRow = {
              txid: row!.txid,
              seq: Number(row!.seq),
              actorKey: `group:${chatId}`,
              cause: "test",
              type: "group.messagePosted",
              chatId,
              event
            }
            yield* retries.park("tally", journalled, 5, "the service said no", new Date(), true)
          })
        yield* dead(team)
        yield* dead(-1002) // another group's: neither listed nor retried here

        const before = (yield* harness.outbox).length
        const [listed] = yield* command("/plugin errors tally")
        expect(listed).toMatch(
          /^tally: 1 failed delivery in this group, newest first:\n1\. group\.messagePosted of group:-1001, 5 attempts, last \d{4}-\d\d-\d\d \d\d:\d\d UTC: the service said no\nRetry sends them to the plugin again\.$/
        )
        const sent = (yield* harness.outbox)[before]!
        expect(sent.params).toMatchObject({
          chat_id: team,
          message_thread_id: 5,
          reply_markup: { inline_keyboard: [[{ text: "Retry", callback_data: "plugin-admin:retry:tally" }]] }
        })

        const answers = (event: PluginEvent) =>
          Effect.gen(function* () {
            const from = (yield* harness.outbox).length
            expect(yield* harness.deliver(event)).toEqual({ _tag: "Handled" })
            return (yield* harness.outbox).slice(from).map((call) => [call.method, call.params["text"]])
          })
        const press = (from: typeof dana) =>
          buttonPress({ chatId: team, threadId: 5, data: "plugin-admin:retry:tally", from })
        expect(yield* answers(press(oleg))).toEqual([
          ["answerCallbackQuery", "Only the group's admins can retry."]
        ])
        expect((yield* retries.deadLetters("tally")).length).toBe(2)
        expect(yield* answers(press(dana))).toEqual([
          ["answerCallbackQuery", "Retrying 1 delivery of tally."]
        ])
        expect((yield* retries.deadLetters("tally")).map((letter) => letter.actorKey)).toEqual([
          "group:-1002"
        ])
        expect(yield* answers(press(dana))).toEqual([
          ["answerCallbackQuery", "tally has no failed deliveries to retry."]
        ])
        // Someone else's buttons are left alone.
        expect(yield* said(buttonPress({ chatId: team, data: "polls:vote:1", from: dana }))).toEqual([])
      })
  )

  it.scoped("a member's status change clears what ChatAdmins knew about them in that group", () =>
    Effect.gen(function* () {
      const { harness, forgotten } = yield* adminHarness
      yield* harness.deliver({
        type: "group.memberChanged",
        connection: "bot:7000000001",
        chatId: team,
        member: oleg,
        oldStatus: "member",
        newStatus: "administrator",
        self: false
      })
      expect(forgotten).toEqual([[team, oleg.id]])
    })
  )
})
