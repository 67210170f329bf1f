import { describe, expect, it } from "vitest"
import { eventually, useDemo, type Demo, type SeenMessage } from "../../support/Demo.ts"

const GENERAL = 1

type Linked = SeenMessage
type LinkEntity = { readonly type: string; readonly url?: string }

describe("knowledge-base, end to end: backline start with { id: knowledge-base } on the sandbox demo", () => {
  let demo: Demo
  useDemo((started) => (demo = started), { plugins: [{ id: "knowledge-base" }] })

  const admin = () => demo.admin.id
  const say = (from: number, text: string, thread = GENERAL, extra: Record<string, unknown> = {}) =>
    thread === GENERAL
      ? demo.post("/messages", { from, chat_id: demo.group, text, ...extra })
      : demo.teamSays(from, thread, text, extra)
  /** The bot's answer to the message `asked` (a reply to it). */
  const answerTo = (thread: number, asked: SeenMessage) =>
    eventually(async () =>
      ((await demo.topicMessages(admin(), thread)) as ReadonlyArray<Linked>).find(
        (message) =>
          message.from?.id === demo.bot && message.reply_to_message?.message_id === asked.message_id
      )
    )
  const ask = async (from: number, text: string, thread = GENERAL) =>
    answerTo(thread, await say(from, text, thread))
  const links = (message: Linked) =>
    ((message.entities ?? []) as ReadonlyArray<LinkEntity>).flatMap((entity) =>
      entity.type === "text_link" && entity.url !== undefined ? [entity.url] : []
    )

  it("indexes a message with links and #tags, follows its edit, answers /kb #tag and /kb words with links, counts /kb tags", async () => {
    const [oleg, olga] = demo.operators.map((operator) => operator.id) as [number, number]
    const thread = (
      await demo.post<{ message_thread_id: number }>(`/chats/${demo.group}/topics`, {
        from: admin(),
        name: "Knowledge base"
      })
    ).message_thread_id
    const marked = await ask(admin(), "/kb here", thread)
    expect(marked.text).toContain("This topic is now the knowledge base")

    const deploy = await say(
      oleg,
      "How to deploy to staging\nRun the deploy job, then watch https://ci.example.com/deploy #deploy #howto",
      thread
    )
    const grafana = await say(
      olga,
      "Grafana board for the API https://grafana.example.com/d/api #monitoring #howto",
      thread
    )
    await say(olga, "thanks, that helped", thread) // neither link nor tag: not indexed
    const link = (message: SeenMessage) =>
      `https://t.me/c/${String(demo.group).slice(4)}/${thread}/${message.message_id}`

    const byTag = await eventually(async () => {
      const answer = await ask(oleg, "/kb #deploy")
      return answer.text?.startsWith("Knowledge base") === true ? answer : undefined
    })
    expect(byTag.text).toContain("1. How to deploy to staging #deploy #howto · Oleg")
    expect(links(byTag)).toEqual([link(deploy)])

    const byWords = await ask(oleg, "/kb grafana api")
    expect(byWords.text).toContain("1. Grafana board for the API #monitoring #howto · Olga")
    expect(links(byWords)).toEqual([link(grafana)])

    const both = await ask(oleg, "/kb #howto")
    expect(links(both).sort()).toEqual([link(deploy), link(grafana)].sort())

    // The edit reaches the index: the new words find it, the old ones no longer do.
    await demo.post("/edits", {
      from: oleg,
      chat_id: demo.group,
      message_id: deploy.message_id,
      text: "How to deploy to production\nRun the release job https://ci.example.com/release #deploy #release"
    })
    const edited = await eventually(async () => {
      const answer = await ask(oleg, "/kb production release")
      return answer.text?.includes("How to deploy to production") === true ? answer : undefined
    })
    expect(links(edited)).toEqual([link(deploy)])
    expect((await ask(oleg, "/kb staging")).text).toBe('Nothing in the knowledge base matches "staging".')

    expect((await ask(oleg, "/kb tags")).text).toBe(
      "Tags in the knowledge base (2 entries):\n#deploy 1\n#howto 1\n#monitoring 1\n#release 1"
    )

    // Telegram tells bots nothing of deletions: the author takes the entry out with /kb remove as a reply.
    const removed = await answerTo(
      thread,
      await say(olga, "/kb remove", thread, { reply_to_message_id: grafana.message_id })
    )
    expect(removed.text).toBe("Taken out of the knowledge base: Grafana board for the API")
    expect((await ask(oleg, "/kb tags")).text).toBe(
      "Tags in the knowledge base (1 entry):\n#deploy 1\n#release 1"
    )
  }, 90_000)
})
