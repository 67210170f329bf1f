// Two bots opening their clients' topics in one backend group, end to end: one `backline start`
// (BOT_TOKEN is bot A) serving every connection in its table, where bot B's was added before the
// start, against a sandbox in this process; the assertions are on what the team and each client see.
import pg from "pg"
import { describe, expect, it } from "vitest"
import { runBackline } from "../../support/Backline.ts"
import { sleep, until, viewOf } from "../../support/Helpdesk.ts"
import { useHelpdesk } from "../../support/HelpdeskFixture.ts"

describe("several bots in one backend group", () => {
  let second: { user: { id: number }; token: string }
  const running = useHelpdesk(
    { bot: "shop_desk_bot", title: "Shared desk", operators: ["Oleg"] },
    async ({ sandbox, databaseUrl, desk }) => {
      second = sandbox.world.createBot({ username: "rentals_desk_bot" })
      sandbox.world.setMember(desk.group, { user_id: second.user.id, status: "administrator" })
      // Bot B's connection is in the table before the start; bot A's comes from BOT_TOKEN.
      expect(await runBackline(["migrate"], { DATABASE_URL: databaseUrl })).toMatchObject({ code: 0 })
      const db = new pg.Client({ connectionString: databaseUrl })
      await db.connect()
      await db.query(
        `insert into connection (id, kind, token, api_root, backend_group_id) values ($1, 'bot', $2, $3, $4)`,
        [`bot:${second.user.id}`, second.token, sandbox.apiRoot, desk.group]
      )
      await db.end()
    }
  )

  it("each bot's client gets a topic saying which bot, and the answers leave through that bot", async () => {
    const world = running.sandbox.world
    const view = viewOf(world)
    const operator = running.desk.operators[0]!
    const botA = running.desk.bot.user.id
    const botB = second.user.id
    const ann = world.createUser({ first_name: "Ann" })
    const ben = world.createUser({ first_name: "Ben" })
    world.sendMessage({ from: ann.id, chat_id: botA, text: "My parcel is late" })
    world.sendMessage({ from: ben.id, chat_id: botB, text: "Can I rent a bike?" })

    const annTopic = await view.topicNamed(running.desk.group, "🔴 Ann")
    const benTopic = await view.topicNamed(running.desk.group, "🔴 Ben")
    const [annCard, annCopy] = await view.topicHolding(
      running.desk.group,
      operator.id,
      annTopic.message_thread_id,
      2
    )
    const [benCard, benCopy] = await view.topicHolding(
      running.desk.group,
      operator.id,
      benTopic.message_thread_id,
      2
    )
    expect(annCard?.text).toMatch(new RegExp(`^👤 Ann\\n[^]*via bot:${botA}$`))
    expect(benCard?.text).toMatch(new RegExp(`^👤 Ben\\n[^]*via bot:${botB}$`))
    expect([annCopy?.text, annCopy?.from?.id]).toEqual(["My parcel is late", botA])
    expect([benCopy?.text, benCopy?.from?.id]).toEqual(["Can I rent a bike?", botB])
    // One topic each (the two bots open theirs at the same time, in either order).
    expect(
      world
        .topics(running.desk.group)
        .map((topic) => topic.name)
        .sort()
    ).toEqual(["🔴 Ann", "🔴 Ben"])

    world.sendMessage({
      from: operator.id,
      chat_id: running.desk.group,
      message_thread_id: annTopic.message_thread_id,
      text: "It arrives tomorrow"
    })
    world.sendMessage({
      from: operator.id,
      chat_id: running.desk.group,
      message_thread_id: benTopic.message_thread_id,
      text: "Yes, from 9:00"
    })
    // Each client hears from the bot they wrote to: its welcome, then the answer.
    const toAnn = await view.fromBot(botA, ann.id, 2)
    const toBen = await view.fromBot(botB, ben.id, 2)
    expect(toAnn.map((message) => message.text)).toEqual([
      expect.stringMatching(/^Hello, Ann!/),
      "It arrives tomorrow"
    ])
    expect(toBen.map((message) => message.text)).toEqual([
      expect.stringMatching(/^Hello, Ben!/),
      "Yes, from 9:00"
    ])
  })

  it("an admin's /settings in General is answered once, with both bots' settings", async () => {
    const world = running.sandbox.world
    const asked = world.sendMessage({
      from: running.desk.owner.id,
      chat_id: running.desk.group,
      text: "/settings"
    })
    const answers = () =>
      world
        .messages(running.desk.group, running.desk.owner.id)
        .filter((message) => message.message_id > asked.message_id && message.from?.is_bot === true)
    await until(() => (answers().length > 0 ? true : undefined))
    // Both bots received the command; a second answer would come within this time.
    await sleep(1_500)
    const [answer, ...more] = answers()
    expect(more.map((message) => message.text)).toEqual([])
    expect(answer?.text).toContain(`Settings of bot:${running.desk.bot.user.id}:`)
    expect(answer?.text).toContain(`Settings of bot:${second.user.id}:`)
  })
})
