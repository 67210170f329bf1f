import { layer } from "@effect/vitest"
import { Duration, Effect, Layer, Redacted, TestClock } from "effect"
import { expect } from "vitest"
import { ChatAdmins, ChatAdminsConfig } from "../../../src/telegram/ChatAdmins.ts"
import { Connections } from "../../../src/telegram/Connections.ts"
import { MigratedDatabase, sandbox } from "../../support/Gateway.ts"

/** A sandbox group owned by Dana, with Oleg a member, and the bot that asks Telegram about them. */
const setup = (timeToLive: Duration.DurationInput) =>
  Effect.gen(function* () {
    const box = yield* sandbox()
    const dana = box.world.createUser({ first_name: "Dana" })
    const oleg = box.world.createUser({ first_name: "Oleg" })
    const bot = box.world.createBot({ username: "admins_bot" })
    const group = box.world.createChat({
      type: "supergroup",
      title: "Team",
      is_forum: true,
      owner: dana.id,
      members: [oleg.id],
      admins: [bot.user.id]
    })
    const connection = yield* Effect.flatMap(Connections, (connections) =>
      connections.add(Redacted.make(bot.token), box.apiRoot)
    ).pipe(Effect.provide(Connections.Default))
    const admins = yield* Effect.provide(
      ChatAdmins,
      ChatAdmins.Default.pipe(
        Layer.provide(Layer.succeed(ChatAdminsConfig, { timeToLive: Duration.decode(timeToLive) }))
      )
    )
    const isAdmin = (user: number) => admins.isAdmin(connection.id, group.id, user)
    const setStatus = (user: number, status: "administrator" | "member") =>
      Effect.sync(() => box.world.setMember(group.id, { user_id: user, status, by: dana.id }))
    return { admins, isAdmin, setStatus, group, dana, oleg, bot }
  })

layer(MigratedDatabase, { timeout: 60_000, excludeTestServices: true })(
  "ChatAdmins (sandbox Telegram)",
  (it) => {
    it.scoped(
      "asks Telegram about the user in question: the owner and admins are, members and strangers not",
      () =>
        Effect.gen(function* () {
          const { isAdmin, setStatus, dana, oleg, bot } = yield* setup("60 seconds")
          expect(yield* isAdmin(dana.id)).toBe(true)
          expect(yield* isAdmin(oleg.id)).toBe(false)
          expect(yield* isAdmin(bot.user.id)).toBe(true)
          expect(yield* isAdmin(424242)).toBe(false) // "user not found"
          yield* setStatus(oleg.id, "administrator")
          expect(yield* isAdmin(oleg.id)).toBe(false) // still the cached answer
        })
    )

    it.scoped("forgets a user's answer on a membership change, in that chat only", () =>
      Effect.gen(function* () {
        const { admins, isAdmin, setStatus, group, oleg, dana } = yield* setup("60 seconds")
        expect(yield* isAdmin(oleg.id)).toBe(false)
        expect(yield* isAdmin(dana.id)).toBe(true)
        yield* setStatus(oleg.id, "administrator")
        yield* admins.forget(group.id - 1, oleg.id) // another chat: nothing to forget here
        expect(yield* isAdmin(oleg.id)).toBe(false)
        yield* admins.forget(group.id, oleg.id)
        expect(yield* isAdmin(oleg.id)).toBe(true)
        yield* setStatus(oleg.id, "member")
        expect(yield* isAdmin(oleg.id)).toBe(true)
        yield* admins.forget(group.id, oleg.id)
        expect(yield* isAdmin(oleg.id)).toBe(false)
      })
    )

    it.scoped("asks again once the answer is older than its time to live", () =>
      Effect.gen(function* () {
        const { isAdmin, setStatus, oleg } = yield* setup("200 millis")
        expect(yield* isAdmin(oleg.id)).toBe(false)
        yield* setStatus(oleg.id, "administrator")
        yield* Effect.sleep("300 millis")
        expect(yield* isAdmin(oleg.id)).toBe(true)
      })
    )
  }
)

layer(MigratedDatabase, { timeout: 60_000 })("ChatAdmins (test clock)", (it) => {
  it.scoped("keeps an answer at most 60 s, however long it is configured to", () =>
    Effect.gen(function* () {
      const { isAdmin, setStatus, oleg } = yield* setup("10 minutes")
      expect(yield* isAdmin(oleg.id)).toBe(false)
      yield* setStatus(oleg.id, "administrator")
      yield* TestClock.adjust("59 seconds")
      expect(yield* isAdmin(oleg.id)).toBe(false)
      yield* TestClock.adjust("2 seconds")
      expect(yield* isAdmin(oleg.id)).toBe(true)
    })
  )
})
