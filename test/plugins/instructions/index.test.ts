import { layer } from "@effect/vitest"
import { Effect } from "effect"
import { expect } from "vitest"
import instructions, { indexHeader, parseContact } from "../../../plugins/instructions/index.ts"
import type { CommandIssued } from "../../../src/plugins/definePlugin.ts"
import { MigratedDatabase } from "../../support/Gateway.ts"
import { groupCommand, makeHarness } from "../../support/PluginHarness.ts"

const team = -1001234567890
const topic = 5
const dana = { id: 21, first_name: "Dana", is_bot: false }
const oleg = { id: 31, first_name: "Oleg", is_bot: false }

const command = (text: string, from = dana, threadId = topic) =>
  groupCommand({ chatId: team, threadId, text, from })

/** `command` written as a reply to `replied`. */
const asReply = (command: CommandIssued, replied: { message_id: number; text?: string }) =>
  ({
    ...command,
    message: { ...command.message, reply_to_message: { date: 1, chat: command.message.chat, ...replied } }
  }) as unknown as CommandIssued

type Call = { method: string; params: Record<string, unknown> }
const shown = (calls: ReadonlyArray<Call>) =>
  calls.map((call) => [call.method, call.params["text"] ?? call.params["message_id"]])

layer(MigratedDatabase, { timeout: 60_000 })("instructions, through the plugin harness", (it) => {
  it("reads contacts", () => {
    expect(parseContact("Marta accountant +44 20 7946 0958")).toEqual({
      name: "Marta",
      role: "accountant",
      reach: "+44 20 7946 0958"
    })
    expect(parseContact('"Ivan Petrov" on-call lead @ivan_p')).toEqual({
      name: "Ivan Petrov",
      role: "on-call lead",
      reach: "@ivan_p"
    })
    expect(parseContact("Marta accountant")).toBeUndefined()
  })

  it.scoped(
    "admins keep entries and contacts; the index is posted once, pinned once, then edited in place",
    () =>
      Effect.gen(function* () {
        const harness = yield* makeHarness(instructions, { admins: [dana.id] })
        yield* harness.deliver(command("/instr here"))
        expect(yield* harness.mail).toEqual([
          {
            actorKey: `group:${team}`,
            event: { type: "group.setTopicKind", threadId: topic, kind: "instructions" }
          }
        ])
        const posted = yield* harness.outbox
        expect(posted.map((call) => [call.method, call.params["message_thread_id"]])).toEqual([
          ["sendMessage", topic],
          ["sendMessage", topic]
        ])
        expect(String(posted[0]!.params["text"])).toMatch(new RegExp(`^${indexHeader}\\n\\(none yet`))

        // Before Telegram has the index, an entry is added: the index waits, then is found, pinned and edited.
        yield* harness.deliver(command("/instr add Deploy to staging\nRun the deploy job.\nWatch the CI."))
        expect((yield* harness.outbox).length).toBe(3) // only the reply "Added"
        yield* harness.sendQueued
        const [indexId] = (yield* harness.outbox)
          .filter((call) => String(call.params["text"]).startsWith(indexHeader))
          .map((_, i) => i)
        expect(indexId).toBe(0)
        const timer = (yield* harness.timers)[0]!
        expect(timer.name).toBe(`index:${team}`)
        yield* harness.fire(timer.name)
        const afterPin = (yield* harness.outbox).slice(3)
        expect(afterPin.map((call) => call.method)).toEqual(["pinChatMessage", "editMessageText"])
        const messageId = afterPin[0]!.params["message_id"]
        expect(afterPin[1]!.params).toMatchObject({ message_id: messageId })
        expect(String(afterPin[1]!.params["text"])).toContain("• Deploy to staging")

        // From now on: edits of that message only, never a new post or a second pin.
        yield* harness.deliver(command("/contact add Marta accountant +44 20 7946 0958"))
        yield* harness.deliver(
          command("/instr edit deploy to staging\nRun the deploy job, then tell #releases.")
        )
        yield* harness.deliver(command("/instr add VPN\nImport the profile from the IT portal."))
        yield* harness.deliver(command("/instr remove VPN"))
        const later = (yield* harness.outbox).slice(5)
        expect(shown(later)).toEqual([
          ["editMessageText", expect.stringContaining("• Marta, accountant: +44 20 7946 0958")],
          ["sendMessage", "Saved the contact Marta, accountant: +44 20 7946 0958."],
          ["sendMessage", 'Updated "Deploy to staging" (version 2).'],
          ["editMessageText", expect.stringContaining("• VPN")],
          ["sendMessage", 'Added "VPN".'],
          ["editMessageText", expect.not.stringContaining("VPN")],
          ["sendMessage", 'Removed "VPN".']
        ])
        // An edit of an entry's text leaves the index as it is: no call.
        for (const call of later.filter((one) => one.method === "editMessageText"))
          expect(call.params["message_id"]).toBe(messageId)

        const stored = yield* harness.storage({ chatId: team })
        expect(stored["entry:deploy to staging"]).toMatchObject({
          title: "Deploy to staging",
          text: "Run the deploy job, then tell #releases.",
          author: "Dana",
          history: [{ text: "Run the deploy job.\nWatch the CI.", author: "Dana", authorId: dana.id }]
        })
      })
  )

  it.scoped("members are refused changes; anyone finds entries and history from any topic", () =>
    Effect.gen(function* () {
      const harness = yield* makeHarness(instructions, { admins: [dana.id] })
      yield* harness.deliver(command("/instr add Expenses\nSubmit receipts in the finance tool by the 5th."))
      yield* harness.deliver(
        command("/instr add Vacation\nBook vacation days in the HR portal two weeks ahead.")
      )
      yield* harness.deliver(
        command("/instr edit Vacation\nBook vacation days in the HR portal a month ahead.")
      )
      const base = (yield* harness.outbox).length
      yield* harness.deliver(command("/instr add Hack\nnope", oleg))
      yield* harness.deliver(command("/instr remove Vacation", oleg))
      yield* harness.deliver(command("/contact add Oleg boss @oleg", oleg))
      yield* harness.deliver(command("/instr vacation days", oleg, 9))
      yield* harness.deliver(command("/instr history vacation", oleg, 9))
      yield* harness.deliver(command("/instr kubernetes", oleg, 9))
      yield* harness.deliver(command("/instr add Expenses\nagain"))
      yield* harness.deliver(command("/instr edit Nothing\ntext"))
      yield* harness.deliver(command("/instr add Empty"))
      const texts = (yield* harness.outbox).slice(base).map((call) => String(call.params["text"]))
      const notAdmin = "Only the group's admins can change instructions and contacts."
      expect(texts.slice(0, 3)).toEqual([notAdmin, notAdmin, notAdmin])
      expect(texts[3]).toBe("📄 Vacation\nBook vacation days in the HR portal a month ahead.")
      expect(texts[4]).toMatch(
        /^History of "Vacation" \(2 versions, newest first\):\n\n2\. .* UTC, Dana \(current\):\nBook vacation days in the HR portal a month ahead\.\n\n1\. .* UTC, Dana:\nBook vacation days in the HR portal two weeks ahead\.$/
      )
      expect(texts.slice(5)).toEqual([
        'No instruction matches "kubernetes".',
        'There is already an entry "Expenses": /instr edit Expenses changes it.',
        'There is no entry "Nothing". /instr add Nothing creates it.',
        "Write /instr add <title>, then the text on the lines below; or reply /instr add <title> to the message that holds the text."
      ])
      // No Instructions topic yet: nothing was posted as an index.
      expect(
        (yield* harness.outbox).some((call) => String(call.params["text"]).startsWith(indexHeader))
      ).toBe(false)
      expect(Object.keys(yield* harness.storage({ chatId: team })).sort()).toEqual([
        "entry:expenses",
        "entry:vacation"
      ])
    })
  )

  it.scoped(
    "an entry made as a reply takes the replied message's text; a kind set elsewhere gets the index",
    () =>
      Effect.gen(function* () {
        const harness = yield* makeHarness(instructions, { admins: [dana.id] })
        const reply = command("/instr add Printer")
        yield* harness.deliver(
          asReply(reply, { message_id: 77, text: "The printer is printer-2f on the IT portal." })
        )
        expect((yield* harness.storage({ chatId: team }))["entry:printer"]).toMatchObject({
          text: "The printer is printer-2f on the IT portal."
        })
        yield* harness.deliver({
          type: "group.topicKindSet",
          chatId: team,
          threadId: 12,
          kind: "instructions"
        })
        const index = (yield* harness.outbox).find((call) =>
          String(call.params["text"]).startsWith(indexHeader)
        )
        expect(index?.params["message_thread_id"]).toBe(12)
        expect(String(index?.params["text"])).toContain("• Printer")
      })
  )
})
