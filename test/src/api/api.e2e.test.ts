import { describe, expect, it } from "vitest"
import { eventually, useDemo, type Demo } from "../../support/Demo.ts"

const GENERAL = 1

describe("HTTP API, end to end: backline start on the sandbox demo, real HTTP", () => {
  let demo: Demo
  let secret = ""
  // notify with no routes yet: an admin points a route at a topic the API made (see the event test).
  useDemo((started) => (demo = started), { plugins: [{ id: "notify" }] })

  const api = (
    path: string,
    init: { method?: string; body?: unknown; token?: string; headers?: Record<string, string> } = {}
  ) =>
    fetch(`${demo.url}${path}`, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers: {
        ...(init.body === undefined ? {} : { "content-type": "application/json" }),
        ...(init.token === undefined ? {} : { authorization: `Bearer ${init.token}` }),
        ...init.headers
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) })
    })
  const general = () => demo.topicMessages(demo.admin.id, GENERAL)
  const botSaid = (test: (text: string) => boolean) =>
    eventually(async () => (await general()).find((m) => m.from?.id === demo.bot && test(m.text ?? "")))

  it("/token: an admin gets the secret in a private message, or is told in the group it could not be sent", async () => {
    const ask = () =>
      demo.post("/messages", {
        from: demo.admin.id,
        chat_id: demo.group,
        text: "/token topics:write,topics:read,events:write CI"
      })
    await ask()
    // The admin never started the bot: no private message can reach them, and the secret is not shown.
    const refused = await botSaid((text) => text.includes("could not send you the token"))
    expect(refused.text).not.toMatch(/bkl_/)
    await demo.clientSays(demo.admin.id, "/start")
    await ask()
    const dm = await eventually(async () =>
      (await demo.privateChat(demo.admin.id)).find(
        (m) => m.from?.id === demo.bot && /bkl_/.test(m.text ?? "")
      )
    )
    secret = /bkl_[\w-]+/.exec(dm.text ?? "")![0]
    await botSaid((text) => text.includes("sent you its secret in a private message"))
    expect((await general()).some((m) => (m.text ?? "").includes(secret))).toBe(false)
  })

  it("creates a topic by name and posts into it; the team sees the message", async () => {
    const path = `/api/v1/groups/${demo.group}/topics/Deploys/messages`
    expect((await api(`${path}?create=true`, { body: { text: "hi" } })).status).toBe(401)
    expect((await api(`${path}?create=true`, { body: { text: "hi" }, token: "bkl_nope" })).status).toBe(401)
    const other = await api(`/api/v1/groups/-100123/topics/Deploys/messages`, {
      body: { text: "hi" },
      token: secret
    })
    expect(other.status).toBe(403)
    expect(((await other.json()) as { error: string }).error).toMatch(/-100123/)
    expect((await api(path, { body: { text: "before" }, token: secret })).status).toBe(404)

    const response = await api(`${path}?create=true`, {
      body: {
        text: "<b>v1.2</b> deployed",
        parse_mode: "HTML",
        buttons: [[{ text: "Changelog", url: "https://example.com/changes" }]]
      },
      token: secret
    })
    expect(response.status).toBe(200)
    expect(response.headers.get("x-request-id")).toMatch(/\S/)
    const sent = (await response.json()) as { message_id: number; message_thread_id: number }
    const topic = await demo.topicNamed("Deploys")
    expect(sent.message_thread_id).toBe(topic.message_thread_id)
    const seen = await eventually(async () =>
      (await demo.topicMessages(demo.operators[0]!.id, topic.message_thread_id)).find(
        (m) => m.message_id === sent.message_id
      )
    )
    expect(seen.text).toBe("v1.2 deployed")
    expect(seen.reply_markup?.inline_keyboard?.[0]?.[0]?.text).toBe("Changelog")

    // The same name again posts into the same topic, and the topic is listed.
    const again = await api(`${path}?create=true`, { body: { text: "second" }, token: secret })
    expect(((await again.json()) as { message_thread_id: number }).message_thread_id).toBe(
      topic.message_thread_id
    )
    expect((await demo.topics()).filter((t) => t.name === "Deploys")).toHaveLength(1)
    const listed = (await (await api(`/api/v1/groups/${demo.group}/topics`, { token: secret })).json()) as {
      topics: Array<{ thread_id: number; name: string }>
    }
    expect(listed.topics.map((t) => t.name)).toContain("Deploys")
  })

  it("an event reaches the notify route of its source, once for a retried request", async () => {
    // A topic made through the API, and notify's route pointed at it by an admin.
    const created = await api(`/api/v1/groups/${demo.group}/topics`, {
      body: { name: "Payments" },
      token: secret
    })
    expect(created.status).toBe(201)
    const payments = (await created.json()) as { thread_id: number; name: string }
    expect((await demo.topicNamed("Payments")).message_thread_id).toBe(payments.thread_id)
    const route = {
      payments: { topic: payments.thread_id, template: "Paid {{amount}} by {{customer.name}}" }
    }
    await demo.post("/messages", {
      from: demo.admin.id,
      chat_id: demo.group,
      text: `/plugin config notify routes ${JSON.stringify(route)}`
    })
    await botSaid((text) => /routes/.test(text) && !/usage|invalid|must/i.test(text))

    const headers = { "idempotency-key": "order-42" }
    const body = { amount: 42, customer: { name: "Ann" } }
    const first = await api("/api/v1/events/payments", { body, token: secret, headers })
    expect(first.status).toBe(202)
    const stored = (await first.json()) as { eventId: string; duplicate: boolean }
    expect(stored.duplicate).toBe(false)
    const retried = (await (
      await api("/api/v1/events/payments", { body, token: secret, headers })
    ).json()) as {
      eventId: string
      duplicate: boolean
    }
    expect(retried).toMatchObject({ eventId: stored.eventId, duplicate: true })
    const reused = await api("/api/v1/events/payments", { body: { amount: 1 }, token: secret, headers })
    expect(reused.status).toBe(409)

    const posted = await eventually(async () => {
      const messages = await demo.topicMessages(demo.admin.id, payments.thread_id)
      return messages.some((m) => m.text?.includes("Paid 42 by Ann")) ? messages : undefined
    }, 30_000)
    expect(posted.filter((m) => m.text?.includes("Paid 42 by Ann"))).toHaveLength(1)
  })
})
