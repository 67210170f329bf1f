import { layer } from "@effect/vitest"
import { Effect, Either } from "effect"
import { expect } from "vitest"
import reminders from "../../../plugins/reminders/index.ts"
import { decodeConfig } from "../../../src/plugins/PluginConfig.ts"
import { MigratedDatabase } from "../../support/Gateway.ts"
import { buttonPress, groupCommand, makeHarness } from "../../support/PluginHarness.ts"

const team = -1002
const topic = 9
const dana = { id: 21, first_name: "Dana", is_bot: false }

const say = (text: string, threadId = topic) => groupCommand({ chatId: team, threadId, text, from: dana })
const texts = (outbox: ReadonlyArray<{ params: Record<string, unknown> }>) =>
  outbox.map((call) => call.params["text"])

layer(MigratedDatabase, { timeout: 60_000 })("reminders, through the plugin harness", (it) => {
  it("refuses a time zone that is not IANA's, and other bad configuration, naming the key", () => {
    const bad = decodeConfig(reminders, { timeZone: "Mars/Olympus", bookingReminderMinutes: -5 })
    expect(Either.isLeft(bad) && bad.left).toMatch(
      /config\.timeZone: must be an IANA time zone.*config\.bookingReminderMinutes/
    )
    expect(Either.getOrThrow(decodeConfig(reminders, {}))).toEqual({
      timeZone: "UTC",
      bookingReminderMinutes: 10,
      maxBookingMinutes: 480
    })
  })

  it.scoped(
    "/remind sets a durable timer; when due it mentions its author in the topic, with snooze buttons",
    () =>
      Effect.gen(function* () {
        const harness = yield* makeHarness(reminders, { config: { timeZone: "Europe/Berlin" } })
        const command = say("/remind in 2h call the bank")
        yield* harness.deliver(command)
        const [timer] = yield* harness.timers
        expect(timer?.name).toBe(`remind:${team}:${command.messageId}`)
        expect(timer?.dueInMs).toBeGreaterThan(2 * 3_600_000 - 60_000)
        expect(timer?.dueInMs).toBeLessThanOrEqual(2 * 3_600_000)
        expect(texts(yield* harness.outbox)[0]).toMatch(
          /^⏰ I will remind you here at \d{4}-\d\d-\d\d \d\d:\d\d \(Europe\/Berlin\)\.$/
        )

        yield* harness.fire(timer!.name)
        const fired = (yield* harness.outbox)[1]!
        expect(fired.params).toMatchObject({
          message_thread_id: topic,
          parse_mode: "HTML",
          text: `⏰ <a href="tg://user?id=${dana.id}">Dana</a>, a reminder: call the bank`,
          reply_markup: {
            inline_keyboard: [
              [
                { text: "+10 min", callback_data: `reminders:snooze:${command.messageId}:10` },
                { text: "+1 h", callback_data: `reminders:snooze:${command.messageId}:60` }
              ]
            ]
          }
        })
        // Snoozing the fired reminder brings it back in 10 minutes.
        yield* harness.deliver(
          buttonPress({ chatId: team, threadId: topic, data: `reminders:snooze:${command.messageId}:10` })
        )
        const [again] = yield* harness.timers
        expect(again?.dueInMs).toBeGreaterThan(9 * 60_000)
        expect(again?.dueInMs).toBeLessThanOrEqual(10 * 60_000)
      })
  )

  it.scoped("/reminders lists this topic's reminders with buttons; Cancel removes one and its timer", () =>
    Effect.gen(function* () {
      const harness = yield* makeHarness(reminders)
      const first = say("/remind 2030-01-02 08:00 renew the domain")
      yield* harness.deliver(first)
      yield* harness.deliver(say("/remind in 1h elsewhere", 44))
      yield* harness.deliver(say("/reminders"))
      const listing = (yield* harness.outbox)[2]!
      expect(listing.params["text"]).toBe(
        "<b>Reminders here</b> (UTC)\n1. 2030-01-02 08:00: renew the domain (Dana)"
      )
      expect(listing.params["reply_markup"]).toEqual({
        inline_keyboard: [
          [
            { text: "1: +10 min", callback_data: `reminders:snooze:${first.messageId}:10` },
            { text: "1: +1 h", callback_data: `reminders:snooze:${first.messageId}:60` },
            { text: "1: Cancel", callback_data: `reminders:cancel:${first.messageId}` }
          ]
        ]
      })
      yield* harness.deliver(
        buttonPress({ chatId: team, threadId: topic, data: `reminders:cancel:${first.messageId}` })
      )
      expect((yield* harness.timers).map((timer) => timer.name)).toEqual([
        expect.stringMatching(/^remind:-1002:/)
      ])
      expect((yield* harness.timers).some((timer) => timer.name.endsWith(`:${first.messageId}`))).toBe(false)
      const answered = (yield* harness.outbox).at(-1)!
      expect(answered).toMatchObject({
        method: "answerCallbackQuery",
        params: { text: "Cancelled: renew the domain" }
      })
      yield* harness.deliver(say("/reminders"))
      expect(texts(yield* harness.outbox).at(-1)).toMatch(/^No reminders in this topic\./)
    })
  )

  it.scoped("bad times get a clear answer and no timer", () =>
    Effect.gen(function* () {
      const harness = yield* makeHarness(reminders)
      yield* harness.deliver(say("/remind someday call"))
      yield* harness.deliver(say("/remind in 2h"))
      yield* harness.deliver(say("/remind 2020-01-01 10:00 late"))
      expect(texts(yield* harness.outbox)).toEqual([
        expect.stringMatching(
          /^I could not read a time in "someday call"\. Write the time as: in 2h.*\nUsage: \/remind <when> <text>$/
        ),
        "What should I remind you of? /remind in 2h <text>",
        "That time is in the past.\nUsage: /remind <when> <text>"
      ])
      expect(yield* harness.timers).toEqual([])
    })
  )

  it.scoped("/book refuses an overlapping slot; /agenda shows the day; each booking is reminded before", () =>
    Effect.gen(function* () {
      const harness = yield* makeHarness(reminders, { config: { timeZone: "Europe/Berlin" } })
      const booked = say("/book 2030-03-04 10:00 30m Call with Anna")
      yield* harness.deliver(booked)
      yield* harness.deliver(say("/book 2030-03-04 10:15 1h Call with Boris"))
      yield* harness.deliver(say("/book 2030-03-04 10:30 1h Call with Boris"))
      yield* harness.deliver(say("/book 2030-03-04 11:00 Call"))
      yield* harness.deliver(say("/agenda 2030-03-04"))
      expect(texts(yield* harness.outbox)).toEqual([
        "📅 Booked: Call with Anna, 2030-03-04 10:00–10:30 (Europe/Berlin).",
        '⛔ Not booked: 2030-03-04 10:15–11:15 overlaps "Call with Anna" (2030-03-04 10:00–10:30). Pick another time; /agenda shows the day.',
        "📅 Booked: Call with Boris, 2030-03-04 10:30–11:30 (Europe/Berlin).",
        expect.stringMatching(/^How long is it\?/),
        "<b>Agenda 2030-03-04</b> (Europe/Berlin)\n10:00–10:30 Call with Anna (Dana)\n10:30–11:30 Call with Boris (Dana)"
      ])
      const stored = yield* harness.storage({ chatId: team })
      expect(stored[`booking:${booked.messageId}`]).toMatchObject({
        start: Date.parse("2030-03-04T09:00:00Z"),
        end: Date.parse("2030-03-04T09:30:00Z"),
        title: "Call with Anna",
        threadId: topic
      })
      const name = `booking:${team}:${booked.messageId}`
      const timer = (yield* harness.timers).find((candidate) => candidate.name === name)
      expect(timer!.dueInMs).toBeGreaterThan(Date.parse("2030-03-04T08:50:00Z") - Date.now() - 60_000)
      yield* harness.fire(name)
      expect((yield* harness.outbox).at(-1)?.params).toMatchObject({
        message_thread_id: topic,
        text: "📅 Coming up: Call with Anna, 2030-03-04 10:00–10:30."
      })
    })
  )
})
