import { layer } from "@effect/vitest"
import { Effect } from "effect"
import { expect } from "vitest"
import knowledgeBase, { entryOf, tagsOf, titleOf } from "../../../plugins/knowledge-base/index.ts"
import type { CommandIssued } from "../../../src/plugins/definePlugin.ts"
import { MigratedDatabase } from "../../support/Gateway.ts"
import { groupCommand, groupMessage, makeHarness } from "../../support/PluginHarness.ts"

/** `command` written as a reply to the message `messageId`. */
const asReply = (command: CommandIssued, messageId: number) =>
  ({
    ...command,
    message: {
      ...command.message,
      reply_to_message: { message_id: messageId, date: 1, chat: command.message.chat }
    }
  }) as unknown as CommandIssued

const team = -1001234567890
const kb = 7
const dana = { id: 21, first_name: "Dana", is_bot: false }
const oleg = { id: 31, first_name: "Oleg", is_bot: false }

/** A message in the Knowledge base topic (by Oleg unless said otherwise). */
const inKb = (text: string, from = oleg, messageId?: number) =>
  groupMessage({
    chatId: team,
    threadId: kb,
    text,
    from,
    topicKind: "knowledge-base",
    ...(messageId === undefined ? {} : { messageId })
  })

const edited = (text: string, messageId: number) => ({
  ...inKb(text, oleg, messageId),
  type: "group.messageEdited" as const
})

const texts = (outbox: ReadonlyArray<{ params: Record<string, unknown> }>) =>
  outbox.map((call) => String(call.params["text"]))

layer(MigratedDatabase, { timeout: 60_000 })("knowledge-base, through the plugin harness", (it) => {
  it("reads tags, links and titles from a message", () => {
    expect(tagsOf("Deploy #HowTo #deploy, see #howto and a#not or https://x.io/#anchor")).toEqual([
      "howto",
      "deploy"
    ])
    expect(titleOf("#ops #links\nStaging runbook\nmore", [])).toBe("Staging runbook")
    expect(titleOf("https://grafana.example.com/d/1 #monitoring", ["https://grafana.example.com/d/1"])).toBe(
      "https://grafana.example.com/d/1"
    )
    expect(entryOf(inKb("Just chatting, no links"))).toBeUndefined()
  })

  it.scoped("indexes messages with links or #tags, follows edits, and answers /kb from any topic", () =>
    Effect.gen(function* () {
      const harness = yield* makeHarness(knowledgeBase, { admins: [dana.id] })
      const deploy = inKb(
        "How to deploy to staging\nRun the deploy job, then watch https://ci.example.com #deploy #howto"
      )
      const grafana = inKb("Grafana dashboards https://grafana.example.com #monitoring")
      const chat = inKb("thanks, that helped")
      const elsewhere = groupMessage({
        chatId: team,
        threadId: 9,
        text: "https://elsewhere.example.com #deploy"
      })
      for (const event of [deploy, grafana, chat, elsewhere]) yield* harness.deliver(event)

      const stored = yield* harness.storage({ chatId: team })
      expect(Object.keys(stored).sort()).toEqual([`entry:${deploy.messageId}`, `entry:${grafana.messageId}`])
      expect(stored[`entry:${deploy.messageId}`]).toMatchObject({
        title: "How to deploy to staging",
        tags: ["deploy", "howto"],
        links: ["https://ci.example.com"],
        author: "Oleg",
        authorId: oleg.id,
        link: `https://t.me/c/1234567890/${kb}/${deploy.messageId}`
      })

      yield* harness.deliver(groupCommand({ chatId: team, threadId: 3, text: "/kb deploy staging" }))
      yield* harness.deliver(groupCommand({ chatId: team, threadId: 3, text: "/kb #monitoring" }))
      yield* harness.deliver(groupCommand({ chatId: team, threadId: 3, text: "/kb tags" }))
      yield* harness.deliver(groupCommand({ chatId: team, threadId: 3, text: "/kb kubernetes" }))
      const [words, tag, tags, none] = yield* harness.outbox
      expect(String(words!.params["text"])).toContain(
        `1. <a href="https://t.me/c/1234567890/${kb}/${deploy.messageId}">How to deploy to staging</a> #deploy #howto · Oleg`
      )
      expect(words!.params).toMatchObject({ parse_mode: "HTML", message_thread_id: 3 })
      expect(String(tag!.params["text"])).toContain("Grafana dashboards")
      expect(String(tag!.params["text"])).not.toContain("deploy")
      expect(texts([tags!, none!])).toEqual([
        "Tags in the knowledge base (2 entries):\n#deploy 1\n#howto 1\n#monitoring 1",
        'Nothing in the knowledge base matches "kubernetes".'
      ])

      // An edit re-indexes (the date stays); an edit that drops every link and tag takes it out.
      yield* harness.deliver(
        edited("How to deploy to production\nhttps://ci.example.com #deploy", deploy.messageId)
      )
      expect((yield* harness.storage({ chatId: team }))[`entry:${deploy.messageId}`]).toMatchObject({
        title: "How to deploy to production",
        tags: ["deploy"]
      })
      yield* harness.deliver(edited("never mind", grafana.messageId))
      expect(Object.keys(yield* harness.storage({ chatId: team }))).toEqual([`entry:${deploy.messageId}`])
      expect(yield* harness.search({ chatId: team }, "production", { tags: ["deploy"] })).toMatchObject([
        { key: `entry:${deploy.messageId}` }
      ])
      expect(yield* harness.search({ chatId: team }, "staging")).toEqual([])
    })
  )

  it.scoped("Store.search: every word before some, excluded words, tags alone, key prefix", () =>
    Effect.gen(function* () {
      const harness = yield* makeHarness(knowledgeBase)
      const both = inKb("Deploy billing to staging https://ci.example.com #deploy")
      const one = inKb("Billing dashboards https://grafana.example.com #monitoring")
      const other = inKb("Deploying search https://ci.example.com/search #deploy #search")
      for (const event of [both, one, other]) yield* harness.deliver(event)
      const keys = (hits: ReadonlyArray<{ key: string }>) => hits.map((hit) => hit.key)
      const group = { chatId: team }
      // "billing staging": the entry with both words first, then the one with "billing" alone.
      expect(keys(yield* harness.search(group, "billing staging"))).toEqual([
        `entry:${both.messageId}`,
        `entry:${one.messageId}`
      ])
      // Stemming: "deploys" finds "Deploy" and "Deploying"; "-billing" excludes.
      expect(keys(yield* harness.search(group, "deploys -billing"))).toEqual([`entry:${other.messageId}`])
      expect(keys(yield* harness.search(group, "", { tags: ["deploy"] })).sort()).toEqual(
        [`entry:${both.messageId}`, `entry:${other.messageId}`].sort()
      )
      expect(keys(yield* harness.search(group, "deploy", { tags: ["search"] }))).toEqual([
        `entry:${other.messageId}`
      ])
      expect(yield* harness.search(group, "")).toEqual([])
      expect(yield* harness.search(group, "billing", { prefix: "contact:" })).toEqual([])
      expect(yield* harness.search({ chatId: -1009 }, "billing")).toEqual([])
      expect(keys(yield* harness.search(group, "billing", { limit: 1 }))).toHaveLength(1)
    })
  )

  it.scoped("/kb remove, as a reply: the author or an admin takes an entry out; others are refused", () =>
    Effect.gen(function* () {
      const harness = yield* makeHarness(knowledgeBase, { admins: [dana.id] })
      const post = inKb("Runbook https://wiki.example.com/runbook #oncall")
      yield* harness.deliver(post)
      const replyTo = (from: typeof dana, messageId: number) => {
        const command = groupCommand({ chatId: team, threadId: kb, text: "/kb remove", from })
        return asReply(command, messageId)
      }
      const sam = { id: 41, first_name: "Sam", is_bot: false }
      yield* harness.deliver(replyTo(sam, post.messageId))
      yield* harness.deliver(groupCommand({ chatId: team, threadId: kb, text: "/kb remove", from: dana }))
      yield* harness.deliver(replyTo(dana, 999_999))
      expect(Object.keys(yield* harness.storage({ chatId: team }))).toEqual([`entry:${post.messageId}`])
      yield* harness.deliver(replyTo(dana, post.messageId))
      expect(yield* harness.storage({ chatId: team })).toEqual({})
      expect(texts(yield* harness.outbox)).toEqual([
        "Only its author or an admin can take an entry out.",
        "Reply /kb remove to the message to take out of the knowledge base.",
        "That message is not in the knowledge base.",
        "Taken out of the knowledge base: Runbook"
      ])
    })
  )

  it.scoped("/kb here marks the topic (admins only); /kb alone explains itself", () =>
    Effect.gen(function* () {
      const harness = yield* makeHarness(knowledgeBase, { admins: [dana.id] })
      yield* harness.deliver(groupCommand({ chatId: team, threadId: 11, text: "/kb here", from: oleg }))
      yield* harness.deliver(groupCommand({ chatId: team, threadId: 11, text: "/kb here", from: dana }))
      yield* harness.deliver(groupCommand({ chatId: team, threadId: 11, text: "/kb", from: oleg }))
      expect(yield* harness.mail).toEqual([
        {
          actorKey: `group:${team}`,
          event: { type: "group.setTopicKind", threadId: 11, kind: "knowledge-base" }
        }
      ])
      const [refused, done, usage] = texts(yield* harness.outbox)
      expect(refused).toBe("/kb here is for the group's admins only.")
      expect(done).toContain("This topic is now the knowledge base")
      expect(usage).toContain("/kb <words or #tag>")
    })
  )
})
