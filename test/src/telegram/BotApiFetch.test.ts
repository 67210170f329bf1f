import { describe, expect, it } from "vitest"
import { Api, GrammyError, HttpError } from "grammy"
import { botApiFetch, grammyFetch } from "../../../src/telegram/BotApiFetch.ts"
import { readBody, startLocalServer } from "../../support/LocalHttpServer.ts"

/** A Bot API stand-in: records each request, answers what `answer` says (or holds it). */
const server = async (
  answer: (method: string, body: string) => { status: number; body: string } | "hold"
) => {
  const seen: Array<{ method: string; type: string | undefined; body: string; closed: Promise<void> }> = []
  const local = await startLocalServer(
    async (req, res) => {
      const body = (await readBody(req)).toString("utf8")
      const method = req.url!.split("/").at(-1)!
      const closed = new Promise<void>((resolve) => res.on("close", () => resolve()))
      seen.push({ method, type: req.headers["content-type"], body, closed })
      const answered = answer(method, body)
      if (answered === "hold") return
      res.writeHead(answered.status, { "content-type": "application/json" }).end(answered.body)
    },
    (res) => res.writeHead(500).end()
  )
  return { ...local, seen }
}

describe("botApiFetch, grammY's fetch", () => {
  it("posts grammY's JSON and answers Telegram's result; a refusal is a GrammyError", async () => {
    const local = await server((method, body) =>
      method === "sendMessage" && (JSON.parse(body) as { chat_id?: number }).chat_id === 1
        ? { status: 200, body: JSON.stringify({ ok: true, result: { message_id: 5, text: "hi" } }) }
        : {
            status: 400,
            body: JSON.stringify({ ok: false, error_code: 400, description: "Bad Request: chat not found" })
          }
    )
    try {
      const api = new Api("1:token", { apiRoot: local.url, fetch: grammyFetch })
      expect(await api.sendMessage(1, "hi")).toEqual({ message_id: 5, text: "hi" })
      expect(local.seen[0]).toMatchObject({ method: "sendMessage", type: "application/json" })
      expect(JSON.parse(local.seen[0]!.body)).toEqual({ chat_id: 1, text: "hi" })
      const refused = await api.sendMessage(2, "hi").catch((error: unknown) => error)
      expect(refused).toBeInstanceOf(GrammyError)
      expect((refused as GrammyError).description).toBe("Bad Request: chat not found")
    } finally {
      await local.close()
    }
  })

  it("streams a multipart body for uploads", async () => {
    const local = await server(() => ({ status: 200, body: JSON.stringify({ ok: true, result: true }) }))
    try {
      const api = new Api("1:token", { apiRoot: local.url, fetch: grammyFetch })
      const { InputFile } = await import("grammy")
      await api.sendDocument(1, new InputFile(Buffer.from("hello file"), "notes.txt"))
      expect(local.seen[0]!.type).toMatch(/^multipart\/form-data; boundary=/)
      expect(local.seen[0]!.body).toContain("filename=notes.txt")
      expect(local.seen[0]!.body).toContain("hello file")
    } finally {
      await local.close()
    }
  })

  it("aborts the request when grammY's signal fires, and rejects a lost connection with Node's error", async () => {
    const local = await server(() => "hold")
    try {
      const controller = new AbortController()
      const call = botApiFetch(`${local.url}/bot1:token/getUpdates`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
        signal: controller.signal
      })
      while (local.seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 10))
      controller.abort()
      await expect(call).rejects.toMatchObject({ name: "AbortError" })
      await local.seen[0]!.closed // the server saw the request go
      const api = new Api("1:token", { apiRoot: local.url, fetch: grammyFetch, timeoutSeconds: 1 })
      await expect(api.getMe()).rejects.toBeInstanceOf(HttpError) // grammY's timeout aborted it
    } finally {
      await local.close()
    }
    const gone = await botApiFetch("http://127.0.0.1:1/bot1:token/getMe", { method: "POST" }).catch(
      (e: unknown) => e
    )
    expect(gone).toMatchObject({ code: "ECONNREFUSED" })
  })
})
