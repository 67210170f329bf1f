import { Bot, GrammyError, HttpError } from "grammy"
import { describe, expect, it } from "vitest"
import { privateSetup, forumSetup, sleep } from "./harness.ts"

describe("rate limits", () => {
  it("answers 429 with retry_after after a burst in one private chat, then lets the client through", async () => {
    const { api, user } = await privateSetup({ limits: { enabled: true, timeScale: 0.05 } })
    for (let i = 0; i < 3; i++) await api.sendMessage(user.id, `burst ${i}`)
    const error = await api.sendMessage(user.id, "one too many").catch((e: unknown) => e)
    expect(error).toBeInstanceOf(GrammyError)
    expect(error).toMatchObject({
      error_code: 429,
      description: "Too Many Requests: retry after 1",
      parameters: { retry_after: 1 }
    })
    await sleep(1000 * 0.05 + 10)
    expect((await api.sendMessage(user.id, "after waiting")).text).toBe("after waiting")
  })

  it("limits a group to 20 messages a minute and can be switched off over HTTP", async () => {
    // A stopped clock: no budget comes back during the test, so the 21st message is refused.
    const now = Date.now()
    const { api, group, box } = await forumSetup({ limits: { enabled: true }, clock: () => now })
    for (let i = 0; i < 20; i++) await api.sendMessage(group.id, `m${i}`)
    await expect(api.sendMessage(group.id, "21st")).rejects.toMatchObject({
      error_code: 429,
      parameters: { retry_after: 3 }
    })
    const off = await fetch(`${box.url}/limits`, { method: "POST", body: JSON.stringify({ enabled: false }) })
    expect(await off.json()).toMatchObject({ enabled: false })
    expect((await api.sendMessage(group.id, "free")).text).toBe("free")
  })

  it("limits a bot to 30 messages a second across chats", async () => {
    const now = Date.now()
    const { box, api, user } = await privateSetup({ limits: { enabled: true }, clock: () => now })
    const others = Array.from({ length: 31 }, (_, i) => box.world.createUser({ first_name: `U${i}` }))
    const { id: botId } = await api.getMe()
    for (const other of others) box.world.sendMessage({ from: other.id, chat_id: botId, text: "/start" })
    const results = await Promise.allSettled(others.map((other) => api.sendMessage(other.id, "news")))
    expect(results.filter((r) => r.status === "rejected")).toHaveLength(1)
    expect(user.id).toBeGreaterThan(0)
  })
})

describe("faults", () => {
  it("fails the next count matching calls with the given error", async () => {
    const { box, api, user } = await privateSetup()
    box.world.fault({ method: "sendMessage", chat_id: user.id, error_code: 502, count: 2 })
    await expect(api.sendMessage(user.id, "a")).rejects.toMatchObject({
      error_code: 502,
      description: "Bad Gateway"
    })
    await expect(api.sendMessage(user.id, "b")).rejects.toMatchObject({ error_code: 502 })
    expect((await api.sendMessage(user.id, "c")).text).toBe("c")
    box.world.fault({ method: "sendMessage", error_code: 429, retry_after: 7, count: 1 })
    await expect(api.sendMessage(user.id, "d")).rejects.toMatchObject({
      parameters: { retry_after: 7 },
      description: "Too Many Requests: retry after 7"
    })
  })

  it("drops connections and lets calls time out", async () => {
    const { box, token, user } = await privateSetup()
    box.world.fault({ method: "getMe", kind: "drop", count: 1 })
    const api = new Bot(token, { client: { apiRoot: box.apiRoot, timeoutSeconds: 1 } }).api
    await expect(api.getMe()).rejects.toBeInstanceOf(HttpError)
    expect((await api.getMe()).username).toBe("helper_bot")
    box.world.fault({ method: "sendMessage", kind: "timeout", count: 1 })
    const started = Date.now()
    await expect(api.sendMessage(user.id, "lost")).rejects.toBeInstanceOf(HttpError)
    expect(Date.now() - started).toBeGreaterThanOrEqual(900)
    box.world.fault({ method: "sendMessage", kind: "timeout", delay_ms: 100, count: 1 })
    expect((await api.sendMessage(user.id, "late")).text).toBe("late")
  })
})
