import { layer } from "@effect/vitest"
import { Effect } from "effect"
import { expect } from "vitest"
import tally from "../../plugins/tally/index.ts"
import { MigratedDatabase } from "../../support/Gateway.ts"
import { groupCommand, groupMessage, makeHarness } from "../../support/PluginHarness.ts"

const team = -1001
const other = -1002

layer(MigratedDatabase, { timeout: 60_000 })("PluginSettings", (it) => {
  it.scoped(
    "a plugin acts only where it is enabled: the topic's setting, else the group's, else plugins.json",
    () =>
      Effect.gen(function* () {
        const harness = yield* makeHarness(tally)
        const post = (chatId: number, threadId: number) =>
          Effect.map(
            harness.deliver(groupMessage({ chatId, threadId, text: "hi" })),
            (settled) => settled._tag
          )

        expect(yield* post(team, 5)).toBe("Handled") // on by default (plugins.json)
        yield* harness.settings.setEnabled("tally", { chatId: team }, false, 21)
        expect([yield* post(team, 5), yield* post(team, 7), yield* post(other, 5)]).toEqual([
          "Skipped",
          "Skipped",
          "Handled"
        ])
        yield* harness.settings.setEnabled("tally", { chatId: team, threadId: 5 }, true, 21)
        expect([yield* post(team, 5), yield* post(team, 7)]).toEqual(["Handled", "Skipped"])
        expect(yield* harness.settings.effective("tally", { chatId: team, threadId: 5 })).toMatchObject({
          enabled: true,
          enabledBy: "topic"
        })
        expect(yield* harness.settings.effective("tally", { chatId: team, threadId: 7 })).toMatchObject({
          enabled: false,
          enabledBy: "group"
        })
        yield* harness.settings.setEnabled("tally", { chatId: team, threadId: 5 }, null)
        expect(yield* post(team, 5)).toBe("Skipped") // back to the group's setting
        expect(yield* harness.storage({ chatId: team, threadId: 5 })).toEqual({ count: 2 })
        expect(yield* harness.storage({ chatId: other, threadId: 5 })).toEqual({ count: 1 })
        expect(yield* harness.settings.inGroup(team)).toEqual([
          { plugin: "tally", threadId: 0, enabled: false, config: {} },
          { plugin: "tally", threadId: 5, enabled: null, config: {} }
        ])
      })
  )

  it.scoped("a plugin off in plugins.json acts only where an admin enabled it", () =>
    Effect.gen(function* () {
      const harness = yield* makeHarness(tally, { enabled: false })
      expect((yield* harness.deliver(groupMessage({ chatId: team, text: "hi" })))._tag).toBe("Skipped")
      yield* harness.settings.setEnabled("tally", { chatId: team }, true)
      expect((yield* harness.deliver(groupMessage({ chatId: team, text: "hi" })))._tag).toBe("Handled")
      expect((yield* harness.deliver(groupMessage({ chatId: other, text: "hi" })))._tag).toBe("Skipped")
    })
  )

  it.scoped(
    "configuration is layered key by key (defaults ⊕ group ⊕ topic) and checked before it is stored",
    () =>
      Effect.gen(function* () {
        const harness = yield* makeHarness(tally, { config: { label: "posts" } })
        const answer = (threadId: number) =>
          Effect.gen(function* () {
            yield* harness.deliver(groupCommand({ chatId: team, threadId, text: "/tally" }))
            return (yield* harness.outbox).at(-1)?.params["text"]
          })
        expect(yield* answer(5)).toBe("0 posts")
        yield* harness.settings.setConfig("tally", { chatId: team }, "label", "notes")
        yield* harness.settings.setConfig("tally", { chatId: team, threadId: 5 }, "label", "items")
        expect([yield* answer(5), yield* answer(7)]).toEqual(["0 items", "0 notes"])
        expect(yield* harness.settings.effective("tally", { chatId: team, threadId: 5 })).toMatchObject({
          config: { label: "items" },
          decoded: { _tag: "Right", right: { label: "items" } }
        })

        const refused = yield* Effect.flip(harness.settings.setConfig("tally", { chatId: team }, "label", 5))
        expect(refused.message).toBe('plugin "tally": config.label: Expected string, actual 5')
        const unknown = yield* Effect.flip(
          harness.settings.setConfig("tally", { chatId: team }, "colour", "red")
        )
        expect(unknown.message).toBe('plugin "tally": config.colour: is unexpected, expected: "label"')
        // Typed in a chat, "5" is not a valid label as JSON (a number), so it is kept as the text.
        yield* harness.settings.setConfigText("tally", { chatId: team }, "label", "5")
        yield* harness.settings.unsetConfig("tally", { chatId: team, threadId: 5 }, "label")
        expect(yield* answer(5)).toBe("0 5")
        const missing = yield* Effect.flip(harness.settings.setEnabled("nope", { chatId: team }, true))
        expect(missing.message).toBe('there is no plugin "nope"')
      })
  )
})
