import { layer } from "@effect/vitest"
import { Effect } from "effect"
import { expect } from "vitest"
import guard from "../../../plugins/general-guard/index.ts"
import { MigratedDatabase } from "../../support/Gateway.ts"
import { groupMessage, makeHarness } from "../../support/PluginHarness.ts"

const team = -1001234
const dana = { id: 21, first_name: "Dana", is_bot: false }
const oleg = { id: 31, first_name: "Oleg <O>", is_bot: false }
const notice = "General is for Backline's notices, so your message there was removed."
const pointer = ` Chat with the team in Team chat: https://t.me/c/1234/7`

const calls = (outbox: ReadonlyArray<{ method: string; chatId: number; params: Record<string, unknown> }>) =>
  outbox.map(({ method, chatId, params }) => {
    const { chat_id: _chat, ...rest } = params
    return [method, chatId, rest]
  })

const teamChatIs = (threadId: number) => ({
  type: "group.topicKindSet" as const,
  chatId: team,
  threadId,
  kind: "team" as const
})

layer(MigratedDatabase, { timeout: 60_000 })("general-guard, through the plugin harness", (it) => {
  it.scoped("a member's chat in General is removed and they are pointed to Team chat, once in a while", () =>
    Effect.gen(function* () {
      const harness = yield* makeHarness(guard, { admins: [dana.id] })
      yield* harness.deliver(teamChatIs(7))
      const first = groupMessage({ chatId: team, text: "lunch?", from: oleg })
      yield* harness.deliver(first)
      const second = groupMessage({ chatId: team, text: "anyone?", from: oleg })
      yield* harness.deliver(second)
      expect(calls(yield* harness.outbox)).toEqual([
        ["deleteMessage", team, { message_id: first.messageId }],
        ["sendMessage", oleg.id, { text: notice + pointer }],
        // Within the cooldown the second message goes silently.
        ["deleteMessage", team, { message_id: second.messageId }]
      ])
    })
  )

  it.scoped(
    "admins, anonymous admins, bots, commands, service messages and other topics are left alone",
    () =>
      Effect.gen(function* () {
        const harness = yield* makeHarness(guard, { admins: [dana.id] })
        yield* harness.deliver(groupMessage({ chatId: team, text: "Release on Friday", from: dana }))
        yield* harness.deliver(
          groupMessage({ chatId: team, text: "cached admin", from: oleg, fromAdmin: true })
        )
        yield* harness.deliver(groupMessage({ chatId: team, text: "on behalf of the group", from: null }))
        yield* harness.deliver(
          groupMessage({ chatId: team, text: "a bot", from: { id: 99, first_name: "Bot", is_bot: true } })
        )
        yield* harness.deliver(groupMessage({ chatId: team, text: "/workspace", from: oleg }))
        yield* harness.deliver(groupMessage({ chatId: team, text: "in a topic", from: oleg, threadId: 7 }))
        const joined = groupMessage({ chatId: team, text: null, from: oleg })
        yield* harness.deliver({
          ...joined,
          message: {
            ...joined.message,
            new_chat_members: [{ id: oleg.id, is_bot: false, first_name: "Oleg" }]
          }
        })
        expect(yield* harness.outbox).toEqual([])
      })
  )

  it.scoped(
    "without a private chat the notice goes to General, mentioning the author, and is removed later",
    () =>
      Effect.gen(function* () {
        const harness = yield* makeHarness(guard, { config: { teamTopic: 9, removeAfterSeconds: 60 } })
        yield* harness.deliver(groupMessage({ chatId: team, text: "hi", from: oleg }))
        yield* harness.deliver({
          type: "delivery.failed",
          outbox_id: 1,
          connection_id: "bot:7000000001",
          chat_id: oleg.id,
          method: "sendMessage",
          code: 403,
          description: "Forbidden: bot can't initiate conversation with a user"
        })
        const teamNine = " Chat with the team in Team chat: https://t.me/c/1234/9"
        const mention = `<a href="tg://user?id=${oleg.id}">Oleg &lt;O&gt;</a>, ${notice}${teamNine}`
        expect(calls(yield* harness.outbox).slice(2)).toEqual([
          ["sendMessage", team, { text: mention, parse_mode: "HTML" }]
        ])
        expect(
          (yield* harness.timers).map((timer) => [timer.name, Math.round(timer.dueInMs / 1000)])
        ).toEqual([[`remove:${oleg.id}`, 60]])
        const [sent] = yield* harness.sendQueued.pipe(Effect.map((ids) => ids.slice(-1)))
        yield* harness.fire(`remove:${oleg.id}`)
        expect(calls(yield* harness.outbox).at(-1)).toEqual(["deleteMessage", team, { message_id: sent }])
      })
  )

  it.scoped("Team chat is followed as topics change kind; without one the pointer names the topic", () =>
    Effect.gen(function* () {
      const harness = yield* makeHarness(guard, { config: { cooldownMinutes: 0 } })
      yield* harness.deliver(teamChatIs(7))
      yield* harness.deliver({ ...teamChatIs(7), kind: "tasks" })
      yield* harness.deliver(groupMessage({ chatId: team, text: "hi", from: oleg }))
      expect(calls(yield* harness.outbox).at(-1)).toEqual([
        "sendMessage",
        oleg.id,
        { text: `${notice} Chat with the team in the Team chat topic.` }
      ])
    })
  )
})
