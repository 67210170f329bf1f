import { createHmac } from "node:crypto"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { PgClient } from "@effect/sql-pg"
import { Effect, Redacted } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Tokens } from "../../../src/api/Tokens.ts"
import { createTestDatabase } from "../../support/Database.ts"
import { eventually, startDemo, type Demo, type SeenMessage } from "../../support/Demo.ts"

interface Received {
  readonly path: string
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
  readonly answered: number
}

/**
 * Standard Webhooks verification written from the specification, independently of Backline's
 * signing: HMAC-SHA256 keyed with the base64-decoded secret (after `whsec_`) over
 * `id.timestamp.body`, compared with each `v1,` entry of the header.
 */
const verifies = (secret: string, request: Received) => {
  const id = request.headers["webhook-id"]
  const timestamp = request.headers["webhook-timestamp"]
  const signatures = String(request.headers["webhook-signature"] ?? "").split(" ")
  if (typeof id !== "string" || typeof timestamp !== "string") return false
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false
  const key = Buffer.from(secret.split("_")[1]!, "base64")
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${request.body}`).digest("base64")
  return signatures.some((entry) => entry === `v1,${expected}`)
}

/** A receiver of webhooks and custom commands; `answer` decides each answer by path and history. */
const startReceiver = async (
  answer: (
    path: string,
    id: string | undefined,
    seen: ReadonlyArray<Received>
  ) => { status: number; type?: string; body?: string; delayMs?: number }
) => {
  const received: Array<Received> = []
  const server = http.createServer((request, response) => {
    let body = ""
    request.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")))
    request.on("end", () => {
      const path = request.url ?? "/"
      const id = request.headers["webhook-id"]
      const reply = answer(path, typeof id === "string" ? id : undefined, received)
      received.push({ path, headers: request.headers, body, answered: reply.status })
      setTimeout(() => {
        response.writeHead(reply.status, reply.type === undefined ? {} : { "content-type": reply.type })
        response.end(reply.body ?? "")
      }, reply.delayMs ?? 0)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

describe("outbound webhooks and custom commands, end to end over real HTTP on the sandbox", () => {
  let demo: Demo
  let token: string
  let receiver: Awaited<ReturnType<typeof startReceiver>>
  let database: { url: string; drop: () => Promise<void> }

  beforeAll(async () => {
    database = await createTestDatabase()
    demo = await startDemo({ DATABASE_URL: database.url })
    receiver = await startReceiver((path, id, seen) => {
      // Every event's first try is answered 500; its retry (the same webhook-id) 204.
      if (path === "/hook")
        return { status: seen.some((one) => one.headers["webhook-id"] === id) ? 204 : 500 }
      if (path === "/invoice")
        return {
          status: 200,
          type: "application/json",
          body: JSON.stringify({ text: "Invoice 42 is paid." })
        }
      if (path === "/plain") return { status: 200, type: "text/plain", body: "Plain answer" }
      if (path === "/broken") return { status: 502 }
      if (path === "/slow") return { status: 200, type: "text/plain", body: "too late", delayMs: 9_000 }
      return { status: 404 }
    })
  }, 90_000)
  afterAll(async () => {
    await demo?.stop()
    await database?.drop()
    await receiver?.close()
  })

  const api = (method: string, path: string, body?: unknown, bearer = token) =>
    fetch(`${demo.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
  const groupMessages = async (as: number) =>
    (await (
      await fetch(`${demo.apiRoot}/sandbox/v1/chats/${demo.group}/messages?as=${as}`)
    ).json()) as Array<SeenMessage>
  const botSays = (as: number, text: string, thread?: number) =>
    eventually(async () => {
      const seen = thread === undefined ? await groupMessages(as) : await demo.topicMessages(as, thread)
      return seen.find((message) => message.from?.id === demo.bot && message.text?.includes(text))
    }, 30_000)

  it("subscribes by API; a receiver gets signed events, gets a 500'd one again, and each once; the log shows the tries", async () => {
    const created = await Effect.runPromise(
      Tokens.pipe(
        Effect.flatMap((tokens) =>
          tokens.create({
            name: "hooks",
            group: demo.group,
            scopes: ["webhooks:read", "webhooks:write"],
            createdBy: "test"
          })
        ),
        Effect.provide(Tokens.Default),
        Effect.provide(PgClient.layer({ url: Redacted.make(database.url) }))
      )
    )
    token = Redacted.value(created.secret)
    expect(
      (
        await api("POST", `/api/v1/groups/${demo.group}/webhooks`, {
          url: "ftp://x",
          events: ["dialog.opened"]
        })
      ).status
    ).toBe(400)
    const refused = await api("POST", `/api/v1/groups/${demo.group}/webhooks`, {
      url: `${receiver.url}/hook`,
      events: ["dialog.opened", "group.messagePosted"]
    })
    expect(refused.status).toBe(400)
    expect(JSON.stringify(await refused.json())).toContain("group.messagePosted")
    const response = await api("POST", `/api/v1/groups/${demo.group}/webhooks`, {
      url: `${receiver.url}/hook`,
      events: ["dialog.opened", "message.received", "message.sent", "dialog.closed", "dialog.reopened"]
    })
    expect(response.status).toBe(201)
    const { webhook, secret } = (await response.json()) as { webhook: { id: number }; secret: string }
    expect(secret).toMatch(/^whsec_/)
    expect((await api("GET", `/api/v1/groups/${demo.group}/webhooks`)).status).toBe(200)
    expect((await api("GET", `/api/v1/groups/-100999/webhooks`)).status).toBe(403)
    expect((await api("GET", `/api/v1/groups/${demo.group}/webhooks`, undefined, "bkl_nope")).status).toBe(
      401
    )

    const client = demo.clients[0]!
    await demo.clientSays(client.id, "My order has not arrived")
    const topic = await demo.topicNamed(`🔴 ${client.name}`)
    // The dialog holds its topic once the client's message is in it: the team's answer is then the dialog's.
    await eventually(async () =>
      (await demo.topicMessages(demo.operators[0]!.id, topic.message_thread_id)).find(
        (message) => message.text === "My order has not arrived"
      )
    )
    await demo.teamSays(demo.operators[0]!.id, topic.message_thread_id, "We are on it")
    await demo.teamSays(demo.operators[0]!.id, topic.message_thread_id, "/close")
    await demo.clientSays(client.id, "Still nothing")

    const delivered = (type: string) =>
      receiver.received.filter(
        (one) =>
          one.path === "/hook" &&
          one.answered === 204 &&
          (JSON.parse(one.body) as { type: string }).type === type
      )
    const events = ["dialog.opened", "message.received", "message.sent", "dialog.closed", "dialog.reopened"]
    await eventually(
      () => Promise.resolve(events.every((type) => delivered(type).length > 0) ? true : undefined),
      90_000
    ).catch(() => undefined)
    expect(
      events.filter((type) => delivered(type).length === 0),
      JSON.stringify(receiver.received.map((one) => [one.answered, one.body.slice(0, 60)]))
    ).toEqual([])
    const hooks = receiver.received.filter((one) => one.path === "/hook")
    expect(hooks.every((one) => verifies(secret, one))).toBe(true)
    expect(hooks.some((one) => verifies("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", one))).toBe(false)
    // Each event was answered 500 first, then sent again with the same webhook-id; none twice after its 204.
    for (const type of events) {
      const ok = delivered(type)[0]!
      const tries = hooks.filter((one) => one.headers["webhook-id"] === ok.headers["webhook-id"])
      expect(
        tries.map((one) => one.answered),
        type
      ).toEqual([500, 204])
    }
    const received = JSON.parse(delivered("message.received")[0]!.body) as { data: Record<string, unknown> }
    expect(received.data).toMatchObject({
      chatId: demo.group,
      threadId: topic.message_thread_id,
      peerId: client.id
    })
    const sent = JSON.parse(delivered("message.sent")[0]!.body) as { data: Record<string, unknown> }
    expect(sent.data).toMatchObject({ text: "We are on it", by: demo.operators[0]!.id })

    type Log = {
      deliveries: Array<{ event: string; status: string; attempts: Array<{ status_code: number }> }>
    }
    // The receiver has answered 204; Backline records that try just after, so the log may lag a moment.
    const opened = await eventually(async () => {
      const log = (await (
        await api("GET", `/api/v1/groups/${demo.group}/webhooks/${webhook.id}/deliveries`)
      ).json()) as Log
      const found = log.deliveries.find((delivery) => delivery.event === "dialog.opened")
      return found?.status === "delivered" ? found : undefined
    }, 10_000)
    expect(opened.status).toBe("delivered")
    expect(opened.attempts.map((one) => one.status_code)).toEqual([500, 204])
    expect((await api("DELETE", `/api/v1/groups/${demo.group}/webhooks/${webhook.id}`)).status).toBe(204)
    expect((await api("DELETE", `/api/v1/groups/${demo.group}/webhooks/${webhook.id}`)).status).toBe(404)
  }, 120_000)

  it("custom commands: a static answer, a webhook's answer in a client's topic, and notices for errors and timeouts", async () => {
    const admin = demo.admin.id
    const operator = demo.operators[1]!.id
    await demo.teamSays(operator, 1, "/cmd add /price 10 € a month")
    await botSays(operator, "/cmd is for the group's admins only.")
    await demo.teamSays(admin, 1, "/cmd add /close Closed on Sundays")
    await botSays(admin, "/close is already a command of Backline or a plugin")
    await demo.teamSays(admin, 1, "/cmd add /price 10 € a month\nCancel any time.")
    await botSays(admin, "/price now answers with its text in this group.")
    await demo.teamSays(admin, 1, `/cmd add /invoice ${receiver.url}/invoice`)
    await botSays(admin, `/invoice now asks ${receiver.url}/invoice`)
    await demo.teamSays(admin, 1, `/cmd add /plain ${receiver.url}/plain`)
    await demo.teamSays(admin, 1, `/cmd add /broken ${receiver.url}/broken`)
    await demo.teamSays(admin, 1, `/cmd add /slow ${receiver.url}/slow`)
    await botSays(admin, `/slow now asks`)

    await demo.teamSays(operator, 1, "/price")
    await botSays(operator, "10 € a month\nCancel any time.")

    const client = demo.clients[1]!
    await demo.clientSays(client.id, "Is my invoice paid?")
    const topic = await demo.topicNamed(`🔴 ${client.name}`)
    await eventually(async () =>
      (await demo.topicMessages(operator, topic.message_thread_id)).find(
        (message) => message.text === "Is my invoice paid?"
      )
    )
    await demo.teamSays(operator, 1, "/slow")
    await demo.teamSays(operator, topic.message_thread_id, "/invoice 42")
    await botSays(operator, "Invoice 42 is paid.", topic.message_thread_id)
    const call = receiver.received.find((one) => one.path === "/invoice")!
    expect(call.headers["webhook-signature"]).toMatch(/^v1,/)
    const data = (JSON.parse(call.body) as { data: Record<string, unknown> }).data
    expect(data).toMatchObject({
      command: "invoice",
      args: "42",
      topic: { threadId: topic.message_thread_id, kind: "dialog" },
      client: { id: client.id },
      author: { id: operator }
    })
    // The client sees neither the command nor its answer.
    expect((await demo.privateChat(client.id)).some((message) => message.text?.includes("Invoice 42"))).toBe(
      false
    )

    await demo.teamSays(operator, topic.message_thread_id, "/plain")
    await botSays(operator, "Plain answer", topic.message_thread_id)
    await demo.teamSays(operator, topic.message_thread_id, "/broken")
    await botSays(
      operator,
      "/broken could not be answered: the service answered HTTP 502.",
      topic.message_thread_id
    )
    await botSays(operator, "/slow could not be answered: the service did not answer within 8s.")

    await demo.teamSays(admin, 1, `/webhook add ${receiver.url}/other dialog.opened, task.changed`)
    const added = await botSays(admin, `sends dialog.opened, task.changed to ${receiver.url}/other`)
    const id = /^Webhook (\d+)/.exec(added.text ?? "")?.[1]
    await demo.teamSays(admin, 1, "/webhook add ftp://nowhere dialog.opened")
    await botSays(admin, `Not added: url: "ftp://nowhere" is not an http(s) URL.`)
    await demo.teamSays(admin, 1, "/webhook list")
    await botSays(admin, `${id}: ${receiver.url}/other ← dialog.opened, task.changed`)
    await demo.teamSays(admin, 1, `/webhook remove ${id}`)
    await botSays(admin, `Webhook ${id} is removed.`)

    await demo.teamSays(admin, 1, "/cmd list")
    await botSays(admin, "/invoice: asks")
    await demo.teamSays(admin, 1, "/cmd remove /price")
    await botSays(admin, "/price is removed.")
  }, 120_000)
})
