import * as path from "node:path"
import { Api } from "grammy"
import { describe, expect, it } from "vitest"
import { eventually, useDemo, type Demo, type SeenMessage } from "../../support/Demo.ts"

const GENERAL = 1
const defaultNotice = "Only admins post in the announcements topic, so your message there was removed."

describe("announcements, end to end: backline start with { id: announcements } on the sandbox demo", () => {
  const digest = path.resolve("test/plugins/announcements/digest.ts")
  let demo: Demo
  useDemo((started) => (demo = started), {
    plugins: [{ id: "announcements" }, { id: "digest", package: digest }]
  })

  const admin = () => demo.admin.id
  const say = (from: number, text: string, thread = GENERAL) =>
    thread === GENERAL
      ? demo.post("/messages", { from, chat_id: demo.group, text })
      : demo.teamSays(from, thread, text)
  const botSays = (thread: number, text: string) =>
    eventually(async () =>
      (await demo.topicMessages(admin(), thread)).find(
        (message) => message.from?.id === demo.bot && message.text === text
      )
    )

  it("an admin marks a topic; operators' posts there are removed and they are told; the admin's stay, pinned", async () => {
    expect(demo.backline.stdout).toContain("plugins: 2 loaded from plugins.json (announcements, digest)")
    const [oleg, olga] = demo.operators.map((operator) => operator.id) as [number, number]
    const thread = (
      await demo.post<{ message_thread_id: number }>(`/chats/${demo.group}/topics`, {
        from: admin(),
        name: "Announcements"
      })
    ).message_thread_id
    await say(admin(), "/plugin config announcements pin true")
    await botSays(GENERAL, "announcements: pin is now true in this group.")

    await say(oleg, "/announcements here", thread)
    await botSays(thread, "/announcements is for the group's admins only.")
    await say(admin(), "/announcements here", thread)
    await botSays(thread, "This topic now holds the team's announcements: only admins post here.")

    // The admin's post stays and is pinned; other plugins hear of it.
    const post = await say(admin(), "Release on Friday", thread)
    const api = new Api(demo.token, { apiRoot: demo.apiRoot })
    await eventually(async () =>
      (await api.getChat(demo.group)).pinned_message?.message_id === post.message_id ? true : undefined
    )
    await botSays(GENERAL, "New announcement from Dana: Release on Friday")

    // Oleg never started the bot: his post goes, and General tells him, mentioning him.
    const olegs = await say(oleg, "Can I come too?", thread)
    const mention = await botSays(GENERAL, `Oleg, ${defaultNotice}`)
    expect(mention.entities?.map((entity) => [entity.type, entity.user?.id])).toEqual([
      ["text_mention", oleg]
    ])
    const seen = (await demo.topicMessages(admin(), thread)).map((message) => message.message_id)
    expect(seen).toContain(post.message_id)
    expect(seen).not.toContain(olegs.message_id)

    // Olga has started the bot: she is told privately, and General stays quiet about her.
    await demo.clientSays(olga, "/start")
    const olgas = await say(olga, "Me too?", thread)
    await eventually(async () =>
      (await demo.privateChat(olga)).find((message) => message.text === defaultNotice)
    )
    const inTopic = await demo.topicMessages(admin(), thread)
    expect(inTopic.map((message) => message.message_id)).not.toContain(olgas.message_id)
    // Nothing the bot said about it went into the announcements topic itself: only the pin shows there.
    expect(
      inTopic
        .filter((message) => message.from?.id === demo.bot)
        .map((message) => message.text ?? `pinned ${message.pinned_message?.message_id}`)
    ).toEqual([
      "/announcements is for the group's admins only.",
      "This topic now holds the team's announcements: only admins post here.",
      `pinned ${post.message_id}`
    ])
    const general = (await demo.topicMessages(admin(), GENERAL)).map((message: SeenMessage) => message.text)
    expect(general.filter((text) => text?.includes(defaultNotice))).toEqual([`Oleg, ${defaultNotice}`])
    expect(general.filter((text) => text?.startsWith("New announcement"))).toEqual([
      "New announcement from Dana: Release on Friday"
    ])
  }, 90_000)

  it("an admin switches it off in the announcements topic: a member's post there stays, and nobody is told", async () => {
    const olga = demo.operators[1]!.id
    const topic = async (name: string) =>
      (
        await demo.post<{ message_thread_id: number }>(`/chats/${demo.group}/topics`, {
          from: admin(),
          name
        })
      ).message_thread_id
    const [updates, releases] = [await topic("Updates"), await topic("Releases")]
    for (const thread of [updates, releases]) {
      await say(admin(), "/announcements here", thread)
      await botSays(thread, "This topic now holds the team's announcements: only admins post here.")
    }
    await say(admin(), "/plugin disable announcements here", updates)
    await botSays(updates, "announcements is now off in this topic.")

    await demo.clientSays(olga, "/start") // so a notice would reach her privately
    const notices = async () =>
      (await demo.privateChat(olga)).filter((message) => message.text === defaultNotice).length
    const before = await notices()
    const stays = await say(olga, "Is the release on Friday?", updates)
    // The plugin handles the group's messages in order: once her next post, in a topic where it is
    // still on, is removed and she is told, it has long been past the first.
    const goes = await say(olga, "And this one?", releases)
    await eventually(async () => ((await notices()) === before + 1 ? true : undefined))
    await eventually(async () =>
      (await demo.topicMessages(admin(), releases)).some((message) => message.message_id === goes.message_id)
        ? undefined
        : true
    )

    const inUpdates = await demo.topicMessages(admin(), updates)
    expect(inUpdates.map((message) => message.message_id)).toContain(stays.message_id)
    expect(
      inUpdates.filter((message) => message.from?.id === demo.bot).map((message) => message.text)
    ).toEqual([
      "This topic now holds the team's announcements: only admins post here.",
      "announcements is now off in this topic."
    ])
    expect(await notices()).toBe(before + 1)
    const general = (await demo.topicMessages(admin(), GENERAL)).map((message) => message.text)
    expect(general.filter((text) => text?.startsWith("Olga"))).toEqual([])
  }, 90_000)
})
