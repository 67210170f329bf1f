import * as fs from "node:fs"
import * as path from "node:path"
import ICAL from "ical.js"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { hashSecret } from "../../../src/api/Tokens.ts"
import { BacklineProcess } from "../../support/Backline.ts"
import { helpdeskWorld, sleep, until, viewOf } from "../../support/Helpdesk.ts"
import { useSandbox } from "../../support/HelpdeskFixture.ts"
import { makeTempDir } from "../../support/TempDir.ts"

const zone = "Europe/Berlin"

describe("reminders, end to end: backline start with { id: reminders } on a sandbox that outlives it", () => {
  const env = useSandbox()
  const dir = makeTempDir("reminders")
  let backline: BacklineProcess
  let url: string
  let desk: ReturnType<typeof helpdeskWorld>

  const start = async () => {
    backline = new BacklineProcess(
      ["start"],
      {
        DATABASE_URL: env.database.url,
        BOT_TOKEN: desk.bot.token,
        TELEGRAM_API_ROOT: env.sandbox.apiRoot,
        BACKEND_GROUP_ID: String(desk.group),
        TELEGRAM_RATE_LIMITS: "off",
        HTTP_PORT: "0"
      },
      dir.path
    )
    url = await backline.running()
  }

  beforeAll(async () => {
    desk = helpdeskWorld(env.sandbox.world, { bot: "remind_bot", title: "Team", operators: ["Dana"] })
    fs.writeFileSync(
      path.join(dir.path, "plugins.json"),
      JSON.stringify({ plugins: [{ id: "reminders", config: { timeZone: zone } }] })
    )
    await start()
  }, 90_000)
  afterAll(async () => {
    expect(await backline?.stop()).toEqual({ code: 0, signal: null })
    expect(backline?.stderr).toBe("")
    dir.remove()
  })

  const world = () => env.sandbox.world
  const dana = () => desk.operators[0]!
  const says = (thread: number, text: string) =>
    world().sendMessage({ from: dana().id, chat_id: desk.group, message_thread_id: thread, text })
  const botSaid = (thread: number, pattern: RegExp) =>
    until(() =>
      viewOf(world())
        .topicMessages(desk.group, dana().id, thread)
        .find((message) => message.from?.id === desk.bot.user.id && pattern.test(message.text ?? ""))
    )

  it("/remind in 8s fires in its topic, mentioning its author, after Backline restarted in between", async () => {
    const thread = world().createTopic(desk.group, { from: desk.owner.id, name: "Ops" }).message_thread_id
    says(thread, "/remind in 8s stand-up in the kitchen")
    await botSaid(thread, /^⏰ I will remind you here at .* \(Europe\/Berlin\)\.$/)
    const due = Date.now() + 8000
    expect(await backline.stop()).toEqual({ code: 0, signal: null })
    expect(backline.stderr).toBe("")
    const before = viewOf(world()).topicMessages(desk.group, dana().id, thread)
    expect(before.some((message) => message.text?.includes("a reminder"))).toBe(false)
    await start()
    const fired = await botSaid(thread, /a reminder: stand-up in the kitchen$/)
    expect(Date.now()).toBeGreaterThanOrEqual(due - 1000)
    expect(fired.text).toBe("⏰ Dana, a reminder: stand-up in the kitchen")
    expect(
      fired.entities?.map((entity) => [entity.type, "user" in entity ? entity.user?.id : undefined])
    ).toEqual([["text_mention", dana().id]])
    expect(fired.reply_markup?.inline_keyboard?.[0]?.map((button) => button.text)).toEqual([
      "+10 min",
      "+1 h"
    ])
  })

  it("/book in a client's topic twice for the same slot: the second is refused; /agenda lists the booking", async () => {
    const anna = world().createUser({ first_name: "Anna" })
    world().sendMessage({ from: anna.id, chat_id: desk.bot.user.id, text: "Hello, can we have a call?" })
    const topic = await viewOf(world()).topicNamed(desk.group, "🔴 Anna")
    const thread = topic.message_thread_id
    says(thread, "/book 2030-03-04 10:00 30m Call with Anna")
    await botSaid(thread, /^📅 Booked: Call with Anna, 2030-03-04 10:00–10:30 \(Europe\/Berlin\)\.$/)
    says(thread, "/book 2030-03-04 10:15 45m Call with Anna, again")
    await botSaid(
      thread,
      /^⛔ Not booked: 2030-03-04 10:15–11:00 overlaps "Call with Anna" \(2030-03-04 10:00–10:30\)/
    )
    says(thread, "/agenda 2030-03-04")
    const agenda = await botSaid(thread, /^Agenda 2030-03-04/)
    expect(agenda.text).toBe("Agenda 2030-03-04 (Europe/Berlin)\n10:00–10:30 Call with Anna (Dana)")
    // The commands stayed in the team's topic: Anna saw none of them.
    await sleep(300)
    const annaSees = world()
      .messages(desk.bot.user.id, anna.id)
      .map((message) => message.text ?? "")
    expect(annaSees.some((text) => /book|Booked|Agenda/.test(text))).toBe(false)
  })

  it("the group's ICS feed, fetched over HTTP with a calendar:read token, parses as iCalendar", async () => {
    const secret = "bkl_calendar_test_secret_0123456789abcdef"
    const other = "bkl_topics_only_secret_0123456789abcdef"
    const db = new pg.Client({ connectionString: env.database.url })
    await db.connect()
    try {
      for (const [id, value, scope] of [
        ["tok_cal", secret, "calendar:read"],
        ["tok_top", other, "topics:read"]
      ] as const)
        await db.query(
          "insert into api_token (id, name, chat_id, scopes, secret_hash, created_by) values ($1, $1, $2, $3, $4, 'cli')",
          [id, desk.group, [scope], hashSecret(value)]
        )
    } finally {
      await db.end()
    }
    const feed = `${url}/api/v1/groups/${desk.group}/calendar.ics`
    expect((await fetch(feed)).status).toBe(401)
    expect((await fetch(feed, { headers: { authorization: `Bearer ${other}` } })).status).toBe(403)
    const response = await fetch(feed, { headers: { authorization: `Bearer ${secret}` } })
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toMatch(/^text\/calendar/)
    const text = await response.text()
    expect(text.endsWith("END:VCALENDAR\r\n")).toBe(true)
    expect(text.split("\r\n").every((line) => Buffer.byteLength(line) <= 75)).toBe(true)
    const calendar = new ICAL.Component(ICAL.parse(text) as Array<unknown>)
    const events = calendar.getAllSubcomponents("vevent").map((vevent) => new ICAL.Event(vevent))
    expect(
      events.map((event) => [
        event.summary,
        event.startDate.toJSDate().toISOString(),
        event.endDate.toJSDate().toISOString()
      ])
    ).toEqual([["Call with Anna", "2030-03-04T09:00:00.000Z", "2030-03-04T09:30:00.000Z"]])
    expect(events[0]!.uid).toMatch(/@\d+\.backline$/)
    // Calendar apps that send no headers pass the token in the URL.
    expect((await fetch(`${feed}?access_token=${secret}`)).status).toBe(200)
  })
})
