import { describe, expect, it } from "vitest"
import { eventually, useDemo, type Demo, type SeenMessage } from "../../support/Demo.ts"

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

  it("every response of the server carries an X-Request-Id: the caller's own if sane, else a new one", async () => {
    for (const path of ["/healthz", "/nothing-here", "/metrics", "/api/v1/groups/1/topics"]) {
      const fresh = await fetch(`${demo.url}${path}`)
      expect(fresh.headers.get("x-request-id"), path).toMatch(/^[0-9a-f-]{36}$/)
      const given = await fetch(`${demo.url}${path}`, { headers: { "x-request-id": "ci-run.42:7" } })
      expect(given.headers.get("x-request-id"), path).toBe("ci-run.42:7")
      const insane = await fetch(`${demo.url}${path}`, { headers: { "x-request-id": "a b" } })
      expect(insane.headers.get("x-request-id"), path).toMatch(/^[0-9a-f-]{36}$/)
    }
    const statuses = await Promise.all(
      ["/healthz", "/nothing-here"].map(async (path) => (await fetch(`${demo.url}${path}`)).status)
    )
    expect(statuses).toEqual([200, 404])
  })

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

  it("posts an uploaded file (multipart) with its caption; the team sees the document and the photo", async () => {
    const path = `/api/v1/groups/${demo.group}/topics/Deploys/messages`
    const upload = (fields: Record<string, string | Blob>, file?: { name: string; blob: Blob }) => {
      const form = new FormData()
      for (const [key, value] of Object.entries(fields)) form.append(key, value)
      if (file !== undefined) form.append("file", file.blob, file.name)
      return fetch(`${demo.url}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${secret}` },
        body: form
      })
    }
    const report = new Blob(["id,amount\n1,12.50\n"], { type: "text/csv" })
    const sent = await upload(
      { text: "<b>Nightly</b> report", parse_mode: "HTML" },
      { name: "report.csv", blob: report }
    )
    expect(sent.status).toBe(200)
    const document = (await sent.json()) as { message_id: number; message_thread_id: number }
    const topic = await demo.topicNamed("Deploys")
    expect(document.message_thread_id).toBe(topic.message_thread_id)
    const seen = (await eventually(async () =>
      (await demo.topicMessages(demo.operators[0]!.id, topic.message_thread_id)).find(
        (m) => m.message_id === document.message_id
      )
    )) as SeenMessage & { document?: { file_name?: string; mime_type?: string; file_size?: number } }
    expect(seen.caption).toBe("Nightly report")
    expect(seen.document).toMatchObject({
      file_name: "report.csv",
      mime_type: "text/csv",
      file_size: report.size
    })

    const photo = await upload(
      { type: "photo", text: "The new dashboard" },
      {
        name: "dashboard.png",
        blob: new Blob([new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10])], { type: "image/png" })
      }
    )
    expect(photo.status).toBe(200)
    const photoId = ((await photo.json()) as { message_id: number }).message_id
    const seenPhoto = await eventually(async () =>
      (await demo.topicMessages(demo.operators[0]!.id, topic.message_thread_id)).find(
        (m) => m.message_id === photoId
      )
    )
    expect(seenPhoto.caption).toBe("The new dashboard")
    expect(seenPhoto.photo?.length).toBeGreaterThan(0)

    // Bad uploads: 400 naming the field, 413 over 20 MB.
    const refused = async (response: Response) => ({
      status: response.status,
      ...((await response.json()) as object)
    })
    expect(await refused(await upload({ text: "no file" }))).toMatchObject({ status: 400, field: "file" })
    expect(
      await refused(await upload({ type: "sticker" }, { name: "a.webp", blob: new Blob(["x"]) }))
    ).toMatchObject({ status: 400, field: "type" })
    expect(
      await refused(await upload({ text: "x".repeat(1025) }, { name: "a.txt", blob: new Blob(["x"]) }))
    ).toMatchObject({ status: 400, field: "text" })
    const huge = await upload({}, { name: "big.bin", blob: new Blob([new Uint8Array(21 * 1024 * 1024)]) })
    expect(huge.status).toBe(413)
    // JSON stays the default; another content type is refused.
    const text = await fetch(`${demo.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${secret}`, "content-type": "text/plain" },
      body: "hi"
    })
    expect(text.status).toBe(415)
    const noBoundary = await fetch(`${demo.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${secret}`, "content-type": "multipart/form-data" },
      body: "--x\r\n"
    })
    expect(await refused(noBoundary)).toMatchObject({ status: 400, field: "content-type" })
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
    // Telegram sends no update for the bot's own topic: the group actor registered both topics the
    // API made from Telegram's answers (its /workspace list reads them).
    const lists = async () =>
      (await general()).filter((m) => m.from?.id === demo.bot && m.text?.startsWith("Workspace topics:"))
    await eventually(async () => {
      const before = (await lists()).length
      await demo.post("/messages", { from: demo.admin.id, chat_id: demo.group, text: "/workspace" })
      const list = await eventually(async () => (await lists())[before])
      return /• Payments — no kind/.test(list.text ?? "") && /• Deploys — no kind/.test(list.text ?? "")
        ? list
        : undefined
    }, 20_000)
    // So notify knows it by name (group.topicRegistered) and makes no topic of its own.
    const route = { payments: { topic: "Payments", template: "Paid {{amount}} by {{customer.name}}" } }
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
    expect((await demo.topics()).filter((t) => t.name === "Payments")).toHaveLength(1)
  })
})
