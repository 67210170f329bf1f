import { describe, expect, it } from "vitest"
import { eventually, useDemo, type Demo, type SeenTopic } from "../../support/Demo.ts"

const GENERAL = 1
const names = ["Announcements", "Team chat", "Instructions", "Knowledge base", "Notifications", "Tasks"]
const guardNotice = "General is for Backline's notices, so your message there was removed."

describe("the workspace, end to end: /workspace, system notices in General and general-guard on the sandbox demo", () => {
  let demo: Demo
  useDemo((started) => (demo = started), {
    plugins: [{ id: "announcements" }, { id: "general-guard", config: { removeAfterSeconds: 4 } }]
  })

  const admin = () => demo.admin.id
  const operator = (index: number) => demo.operators[index]!.id
  const say = (from: number, text: string, thread = GENERAL) =>
    thread === GENERAL
      ? demo.post("/messages", { from, chat_id: demo.group, text })
      : demo.teamSays(from, thread, text)
  const fromBot = async (thread: number) =>
    (await demo.topicMessages(admin(), thread)).filter((message) => message.from?.id === demo.bot)
  /** The bot's message in `thread` whose text `matches`, once it is there. */
  const botSays = (thread: number, matches: (text: string) => boolean, timeoutMs = 60_000) =>
    eventually(async () => (await fromBot(thread)).find((message) => matches(message.text ?? "")), timeoutMs)
  const exactly = (text: string) => (seen: string) => seen === text
  const threadOf = async (name: string) => (await demo.topicNamed(name)).message_thread_id
  const link = (thread: number) => `https://t.me/c/${String(demo.group).replace(/^-100/, "")}/${thread}`

  it("an operator may not set up; an admin's /workspace setup creates the six topics, records their kinds and switches their plugins on", async () => {
    await say(operator(0), "/workspace setup")
    await botSays(GENERAL, exactly("/workspace setup is for the group's admins only."))

    await say(admin(), "/workspace setup")
    const reply = await botSays(GENERAL, (text) => text.startsWith("Setting up the workspace"))
    expect(reply.text).toBe(
      [
        "Setting up the workspace: 6 topic(s) to create.",
        "• Announcements: creating; announcements switched on once it exists",
        "• Team chat: creating; Backline does not post there",
        "• Instructions: creating; instructions switched on once it exists",
        "• Knowledge base: creating; knowledge-base switched on once it exists",
        "• Notifications: creating; notify switched on once it exists",
        "• Tasks: creating; tasks switched on once it exists",
        "",
        "Not loaded in plugins.json: instructions, knowledge-base, notify, tasks. Their topics stay without them."
      ].join("\n")
    )
    for (const name of names) await demo.topicNamed(name)
    // Each topic's kind is recorded and General hears what runs there.
    await botSays(
      GENERAL,
      exactly("Workspace: “Announcements” is the team's Announcements; announcements is on there.")
    )
    await botSays(
      GENERAL,
      exactly("Workspace: “Team chat” is the team's Team chat; Backline does not post there.")
    )
    await botSays(
      GENERAL,
      exactly(
        "Workspace: “Tasks” is the team's Tasks; the tasks plugin is not loaded (add it to plugins.json)."
      )
    )
    await eventually(async () =>
      (await fromBot(GENERAL)).filter((message) => message.text?.startsWith("Workspace: “") === true)
        .length === 6
        ? true
        : undefined
    )
    // Each with its icon colour (custom emoji need ids only Telegram Premium has).
    const topics = (await demo.topics()) as Array<SeenTopic & { readonly icon_color?: number }>
    const colours = new Map(topics.map((topic) => [topic.name, topic.icon_color]))
    expect(names.map((name) => colours.get(name))).toEqual([
      0xfb6f5f, 0x6fb9f0, 0xffd67e, 0xcb86db, 0xff93b2, 0x8eee98
    ])
  })

  it("a second /workspace setup changes nothing: no topic twice, nothing created", async () => {
    const before = await demo.topics()
    await say(admin(), "/workspace setup")
    const again = await botSays(GENERAL, (text) => text.startsWith("The workspace is set up"))
    const announcements = await threadOf("Announcements")
    expect(again.text).toContain(`• Announcements: kept (topic ${announcements}); announcements on`)
    expect(again.text).toContain("• Team chat: kept")
    expect(again.text).toContain("• Tasks: kept")
    expect(again.text).toContain("tasks not loaded")
    // The announcements topic works as one: an operator's post there is removed.
    const post = await say(operator(0), "hello?", announcements)
    await eventually(async () =>
      (await demo.topicMessages(admin(), announcements)).some(
        (message) => message.message_id === post.message_id
      )
        ? undefined
        : true
    )
    expect((await demo.topics()).map((topic) => topic.name).sort()).toEqual(
      before.map((topic) => topic.name).sort()
    )
    for (const name of names)
      expect((await demo.topics()).filter((topic) => topic.name === name)).toHaveLength(1)
  })

  it("/workspace lists the topics, their kinds and the plugins on in each, for anyone; /workspace use adopts a topic (admins)", async () => {
    const board = (
      await demo.post<{ message_thread_id: number }>(`/chats/${demo.group}/topics`, {
        from: admin(),
        name: "Ops board"
      })
    ).message_thread_id
    await say(operator(1), "/workspace use notifications here", board)
    await botSays(board, exactly("/workspace use is for the group's admins only."))
    await say(admin(), "/workspace use dialog here", board)
    await botSays(board, (text) => text.startsWith(`"dialog" is no workspace kind.`))
    await say(admin(), "/workspace use notifications here", GENERAL)
    await botSays(GENERAL, exactly("General stays General: write /workspace use <kind> here in a topic."))
    await say(admin(), "/workspace use notifications here", board)
    await botSays(board, exactly("This topic is now the team's Notifications."))
    await botSays(
      GENERAL,
      exactly(
        "Workspace: “Ops board” is the team's Notifications; the notify plugin is not loaded (add it to plugins.json)."
      )
    )

    // A client writes: their topic belongs to their dialog and is no workspace topic.
    const client = demo.clients[0]!
    await demo.clientSays(client.id, "Where is my order?")
    const clientTopic = await eventually(async () =>
      (await demo.topics()).find((topic) => topic.name.includes(client.name))
    )
    await eventually(async () =>
      (await demo.topicMessages(admin(), clientTopic.message_thread_id)).find(
        (message) => message.text === "Where is my order?"
      )
    )
    const team = await threadOf("Team chat")
    const announcements = await threadOf("Announcements")
    await say(operator(1), "/workspace")
    const list = await botSays(
      GENERAL,
      (text) => text.startsWith("Workspace topics:") && text.includes("Ops board")
    )
    const lines = list.text!.split("\n")
    expect(lines[1]).toBe(
      `• General — General (system notices); plugins: announcements, general-guard (${link(GENERAL)})`
    )
    expect(lines).toContain(
      `• Announcements — Announcements; plugins: announcements, general-guard (${link(announcements)})`
    )
    expect(lines).toContain(`• Team chat — Team chat; plugins: announcements, general-guard (${link(team)})`)
    expect(lines).toContain(
      `• Ops board — Notifications; plugins: announcements, general-guard (${link(board)})`
    )
    expect(lines.some((line) => line.startsWith("Missing:"))).toBe(false)
    expect(lines.some((line) => line.includes(client.name))).toBe(false)
  })

  it("a plugin switched on in a topic is a system notice in General", async () => {
    const tasks = await threadOf("Tasks")
    await say(admin(), "/plugin disable general-guard here", tasks)
    await botSays(tasks, (text) => text.startsWith("general-guard"))
    await botSays(
      GENERAL,
      exactly(`Plugins: general-guard switched off in topic ${tasks} (${link(tasks)}) by user ${admin()}.`)
    )
  })

  it("general-guard removes an operator's chat in General and points them to Team chat; an admin's message stays; the notice in General is removed later", async () => {
    const team = await threadOf("Team chat")
    const pointer = `${guardNotice} Chat with the team in Team chat: ${link(team)}`
    // Oleg never started the bot: the notice mentions him in General.
    const oleg = await say(operator(0), "anyone up for lunch?")
    const mention = await botSays(GENERAL, exactly(`Oleg, ${pointer}`))
    expect(mention.entities?.map((entity) => [entity.type, entity.user?.id])).toEqual([
      ["text_mention", operator(0)],
      ["url", undefined]
    ])
    const again = await say(operator(0), "hello??")
    // Olga has started the bot: she is told privately.
    await demo.clientSays(operator(1), "/start")
    const olga = await say(operator(1), "me too")
    await eventually(async () =>
      (await demo.privateChat(operator(1))).find((message) => message.text === pointer)
    )
    const kept = await say(admin(), "Release on Friday")
    const command = await say(operator(0), "/workspace")
    const seen = async () => (await demo.topicMessages(admin(), GENERAL)).map((message) => message.message_id)
    await eventually(async () => {
      const ids = await seen()
      return [oleg, again, olga].every((message) => !ids.includes(message.message_id)) ? true : undefined
    })
    // The admin's message and the operator's command stay; the notice in General goes after a while.
    expect(await seen()).toEqual(expect.arrayContaining([kept.message_id, command.message_id]))
    await eventually(async () => ((await seen()).includes(mention.message_id) ? undefined : true), 30_000)
    expect(await seen()).toEqual(expect.arrayContaining([kept.message_id, command.message_id]))
  })

  it("Team chat: members talk there and Backline never posts there on its own", async () => {
    const team = await threadOf("Team chat")
    const chat = await say(operator(0), "lunch at 1?", team)
    await say(admin(), "sure", team)
    // Everything else in this file happened around it; the bot said nothing there.
    await eventually(async () =>
      (await demo.topicMessages(admin(), team)).some((message) => message.message_id === chat.message_id)
        ? true
        : undefined
    )
    expect(await fromBot(team)).toEqual([])
    expect((await demo.topicMessages(admin(), team)).map((message) => message.text)).toEqual([
      "lunch at 1?",
      "sure"
    ])
  })
})
