import { describe, expect, it } from "vitest"
import { eventually, useDemo, type Demo } from "../../support/Demo.ts"

const GENERAL = 1

describe("connection status notices in General, end to end: the Gateway tells the connection actor how its polling goes", () => {
  let demo: Demo
  useDemo((started) => (demo = started))

  const connection = () => `bot:${demo.bot}`
  const added = () => `Connection ${connection()} added: online.`
  const flood = (seconds: number) =>
    `Connection ${connection()}: Telegram asks it to wait ${seconds} s (flood limit); messages are held until then.`
  const back = () => `Connection ${connection()} is back online.`
  const refused = () =>
    `Connection ${connection()} is failing: Telegram refused it (Unauthorized). Check its token or session.`

  const fromBot = async () =>
    (await demo.topicMessages(demo.admin.id, GENERAL)).filter((message) => message.from?.id === demo.bot)
  /** The connection notices the bot posted in General, oldest first. */
  const notices = async () =>
    (await fromBot()).map((message) => message.text ?? "").filter((text) => text.startsWith("Connection "))
  const noticed = (text: string, timeoutMs = 30_000) =>
    eventually(async () => ((await notices()).includes(text) ? true : undefined), timeoutMs)
  /** The next `getUpdates` calls fail as Telegram would. */
  const fault = (errorCode: number, count: number, retryAfter?: number) =>
    demo.post("/faults", {
      method: "getUpdates",
      kind: "error",
      error_code: errorCode,
      count,
      ...(retryAfter === undefined ? {} : { retry_after: retryAfter })
    })
  /**
   * An admin asks `/workspace` in General and the bot answers: proof that polling got this far
   * (a long poll pending before the faults were set returns with it, so faults apply after it).
   */
  const nudge = async () => {
    const before = (await fromBot()).length
    await demo.post("/messages", { from: demo.admin.id, chat_id: demo.group, text: "/workspace" })
    await eventually(async () => ((await fromBot()).length > before ? true : undefined), 60_000)
  }

  it("posts one notice when the connection first comes online, however often it polls", async () => {
    await nudge() // the first getUpdates that answers
    await noticed(added())
    await nudge()
    await nudge()
    expect(await notices()).toEqual([added()])
  })

  it("keeps short flood waits quiet: three 429s with retry_after 1 in a row post nothing", async () => {
    await fault(429, 3, 1)
    await nudge() // returns the long poll pending before the faults
    await nudge() // fetched only by the getUpdates after the three 429s
    expect(await notices()).toEqual([added()])
  })

  it("announces a long flood wait, then the connection back online once, after retry_after", async () => {
    await fault(429, 1, 60)
    await nudge()
    await noticed(flood(60))
    await noticed(back(), 90_000)
    await nudge()
    expect(await notices()).toEqual([added(), flood(60), back()])
  }, 120_000)

  it("announces a refused token once; its polling stops", async () => {
    await fault(401, 1)
    await nudge()
    await noticed(refused())
    expect(await notices()).toEqual([added(), flood(60), back(), refused()])
  })
})
