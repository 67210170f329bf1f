import { layer } from "@effect/vitest"
import { Effect } from "effect"
import { expect } from "vitest"
import { MigratedDatabase } from "../../support/Gateway.ts"
import { groupCommand, groupMessage, makeHarness } from "../../support/PluginHarness.ts"
import tally from "./index.ts"

const team = -1001
const other = -1002
const dana = { id: 21, first_name: "Dana", is_bot: false }

layer(MigratedDatabase, { timeout: 60_000 })("tally, through the plugin harness", (it) => {
  it.scoped("counts each topic's messages apart, per group, and answers /tally in the topic", () =>
    Effect.gen(function* () {
      const harness = yield* makeHarness(tally, { config: { label: "posts" } })
      for (const text of ["a", "b", "c"])
        yield* harness.deliver(groupMessage({ chatId: team, threadId: 5, text }))
      yield* harness.deliver(groupMessage({ chatId: team, threadId: 7, text: "elsewhere" }))
      yield* harness.deliver(groupMessage({ chatId: other, threadId: 5, text: "another group" }))
      expect(yield* harness.storage({ chatId: team, threadId: 5 })).toEqual({ count: 3 })
      expect(yield* harness.storage({ chatId: team, threadId: 7 })).toEqual({ count: 1 })
      expect(yield* harness.storage({ chatId: other, threadId: 5 })).toEqual({ count: 1 })
      expect(yield* harness.storage({ chatId: team })).toEqual({}) // the group's own scope is apart

      const asked = groupCommand({ chatId: team, threadId: 5, text: "/tally" })
      expect(yield* harness.deliver(asked)).toEqual({ _tag: "Handled" })
      expect(yield* harness.outbox).toEqual([
        {
          method: "sendMessage",
          chatId: team,
          params: {
            chat_id: team,
            message_thread_id: 5,
            text: "3 posts",
            reply_parameters: { message_id: asked.messageId, allow_sending_without_reply: true }
          }
        }
      ])
    })
  )

  it.scoped("/remind is for admins: others get a notice; an admin's sets a timer whose firing posts", () =>
    Effect.gen(function* () {
      const harness = yield* makeHarness(tally, { admins: [dana.id] })
      yield* harness.deliver(groupCommand({ chatId: team, threadId: 5, text: "/remind 60 stand-up" }))
      expect((yield* harness.outbox).map((call) => call.params["text"])).toEqual([
        "/remind is for the group's admins only."
      ])
      expect(yield* harness.timers).toEqual([])

      const given = groupCommand({ chatId: team, threadId: 5, text: "/remind 60 stand-up", from: dana })
      yield* harness.deliver(given)
      const [timer] = yield* harness.timers
      expect(timer).toMatchObject({
        name: `remind:${team}:${given.messageId}`,
        event: { type: "remind", chatId: team, threadId: 5, text: "stand-up" }
      })
      expect(timer!.dueInMs).toBeGreaterThan(55_000)

      expect(yield* harness.fire(timer!.name)).toEqual({ _tag: "Handled" })
      expect(
        (yield* harness.outbox)
          .slice(1)
          .map((call) => [call.params["message_thread_id"], call.params["text"]])
      ).toEqual([
        [5, "I will remind this topic in 60 s."],
        [5, "Reminder: stand-up"]
      ])
      expect(yield* harness.timers).toEqual([])
    })
  )
})
