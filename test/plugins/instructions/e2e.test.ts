import { Api } from "grammy"
import { describe, expect, it } from "vitest"
import { indexHeader } from "../../../plugins/instructions/index.ts"
import { eventually, useDemo, type Demo } from "../../support/Demo.ts"

const GENERAL = 1
const notAdmin = "Only the group's admins can change instructions and contacts."

describe("instructions, end to end: backline start with { id: instructions } on the sandbox demo", () => {
  let demo: Demo
  useDemo((started) => (demo = started), { plugins: [{ id: "instructions" }] })

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
  const indexes = async (thread: number) =>
    (await demo.topicMessages(admin(), thread)).filter(
      (message) => message.from?.id === demo.bot && message.text?.startsWith(indexHeader) === true
    )

  it("admins keep entries and contacts, the pinned index follows in place; members are refused; anyone finds entries", async () => {
    const [oleg] = demo.operators.map((operator) => operator.id) as [number]
    const thread = (
      await demo.post<{ message_thread_id: number }>(`/chats/${demo.group}/topics`, {
        from: admin(),
        name: "Instructions"
      })
    ).message_thread_id
    await say(admin(), "/instr here", thread)
    await botSays(
      thread,
      "This topic now holds the team's instructions and contacts; its index is pinned here."
    )

    // The index is posted and pinned once Telegram has it.
    const api = new Api(demo.token, { apiRoot: demo.apiRoot })
    const pinned = await eventually(async () => {
      const pin = (await api.getChat(demo.group)).pinned_message
      return pin?.text?.startsWith(indexHeader) === true ? pin : undefined
    })
    const indexText = async () =>
      (await indexes(thread)).find((message) => message.message_id === pinned.message_id)?.text ?? ""

    await say(
      admin(),
      "/instr add Deploy to staging\nRun the deploy job.\nWatch the CI until it is green.",
      thread
    )
    await botSays(thread, 'Added "Deploy to staging".')
    await eventually(async () => ((await indexText()).includes("• Deploy to staging") ? true : undefined))

    await say(admin(), "/contact add Marta accountant +44 20 7946 0958", thread)
    await say(admin(), "/instr add VPN\nImport the profile from the IT portal.", thread)
    await eventually(async () => {
      const text = await indexText()
      return text.includes("• Marta, accountant: +44 20 7946 0958") && text.includes("• VPN")
        ? true
        : undefined
    })
    await say(
      admin(),
      "/instr edit Deploy to staging\nRun the deploy job, then tell the release channel.",
      thread
    )
    await botSays(thread, 'Updated "Deploy to staging" (version 2).')
    await say(admin(), "/instr remove VPN", thread)
    await botSays(thread, 'Removed "VPN".')
    await eventually(async () => ((await indexText()).includes("VPN") ? undefined : true))

    // A member cannot change anything.
    await say(oleg, "/instr add Hack\nnope", thread)
    await say(oleg, "/contact remove Marta", thread)
    await eventually(async () =>
      (await demo.topicMessages(admin(), thread)).filter((message) => message.text === notAdmin).length === 2
        ? true
        : undefined
    )

    // Anyone finds entries from another topic, and their history.
    await say(oleg, "/instr deploy job")
    await botSays(GENERAL, "📄 Deploy to staging\nRun the deploy job, then tell the release channel.")
    await say(oleg, "/instr history deploy to staging")
    const history = await eventually(async () =>
      (await demo.topicMessages(admin(), GENERAL)).find((message) =>
        message.text?.startsWith('History of "Deploy to staging" (2 versions') === true ? message : undefined
      )
    )
    expect(history.text).toContain("Watch the CI until it is green.")

    // One index message, edited in place, pinned once; still the pinned message.
    const all = await indexes(thread)
    expect(all.map((message) => message.message_id)).toEqual([pinned.message_id])
    expect(all[0]!.edit_date).toBeDefined()
    expect(all[0]!.text).toContain("• Deploy to staging")
    expect(all[0]!.text).toContain("• Marta, accountant")
    const pins = (await demo.topicMessages(admin(), thread)).filter(
      (message) => message.pinned_message !== undefined
    )
    expect(pins.map((message) => message.pinned_message?.message_id)).toEqual([pinned.message_id])
    expect((await api.getChat(demo.group)).pinned_message?.message_id).toBe(pinned.message_id)
  }, 90_000)
})
