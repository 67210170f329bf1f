import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo, Socket } from "node:net"
import type { ApiOutcome } from "./BotApi.ts"
import { BodyInvalid, parseBody, readBody } from "./Body.ts"
import { controlRoute } from "./ControlHttp.ts"
import { Params } from "./Params.ts"
import { Sandbox, type SandboxOptions } from "./Sandbox.ts"

// The adapter is plain node:http with a small router rather than @effect/platform's HttpApi: it
// sits on the hot path of every grammY round trip in tests and benchmarks (thousands per second),
// must answer Telegram's exact shapes for any path, hold long polls, drop connections on purpose,
// and be mountable into any Node server. A dozen lines of routing do that with no per-request fibers.

const jsonType = "application/json"

const json = (res: ServerResponse, status: number, body: unknown): void => {
  const text = JSON.stringify(body)
  // The array form of writeHead skips building and validating a header object per answer.
  res.writeHead(status, ["content-type", jsonType, "content-length", String(Buffer.byteLength(text))])
  res.end(text)
}

const botPath = /^\/bot([^/]+)\/([A-Za-z_]+)\/?$/
const filePath = /^\/file\/bot([^/]+)\/(.+)$/
const controlPrefix = "/sandbox/v1"
const noQuery = new URLSearchParams()

/** Path and query of a request target, without building a WHATWG `URL` for every call. */
const target = (raw: string): { path: string; query: URLSearchParams } => {
  const mark = raw.indexOf("?")
  return mark === -1
    ? { path: raw, query: noQuery }
    : { path: raw.slice(0, mark), query: new URLSearchParams(raw.slice(mark + 1)) }
}

/**
 * The signal of a call that a client may abandon. Only long polls and delayed faults read it, so
 * the controller and its listener are made on first use; it fires only if the connection closes
 * before the answer is written.
 */
const lazySignal = (res: ServerResponse): (() => AbortSignal) => {
  let controller: AbortController | undefined
  return () => {
    if (controller === undefined) {
      const made = new AbortController()
      res.once("close", () => {
        if (!res.writableFinished) made.abort()
      })
      controller = made
    }
    return controller.signal
  }
}

/** A Node request handler serving the Bot API, file downloads and the control API of `sandbox`. */
export type SandboxHandler = ((req: IncomingMessage, res: ServerResponse) => void) & {
  /** Ends requests held open (long polls, `timeout` faults). */
  readonly closeHeld: () => void
}

/** The HTTP face of a sandbox, to serve alone or mount into another Node or Effect HTTP server. */
export const sandboxHandler = (sandbox: Sandbox): SandboxHandler => {
  const held = new Set<ServerResponse>()

  const answer = (res: ServerResponse, outcome: ApiOutcome): void => {
    if (outcome.kind === "answer") json(res, outcome.status, outcome.body)
    else if (outcome.kind === "drop") res.socket?.destroy()
    else {
      held.add(res)
      res.on("close", () => held.delete(res))
    }
  }

  const botApi = async (
    req: IncomingMessage,
    res: ServerResponse,
    query: URLSearchParams,
    token: string,
    method: string
  ) => {
    const body = await readBody(req)
    let params: Params
    try {
      const parsed = parseBody(query, req.headers["content-type"] ?? "", body)
      params = new Params(parsed.fields, parsed.files)
    } catch (error) {
      if (!(error instanceof BodyInvalid)) throw error
      return json(res, 400, { ok: false, error_code: 400, description: `Bad Request: ${error.message}` })
    }
    answer(res, await sandbox.api.call(decodeURIComponent(token), method, params, lazySignal(res)))
  }

  const download = (res: ServerResponse, token: string, path: string) => {
    const file =
      sandbox.world.botByToken(decodeURIComponent(token)) === undefined
        ? undefined
        : sandbox.world.files.byPath(decodeURIComponent(path))
    if (file === undefined) return json(res, 404, { ok: false, error_code: 404, description: "Not Found" })
    res.writeHead(200, {
      "content-type": file.mimeType ?? "application/octet-stream",
      "content-length": file.data.length
    })
    res.end(file.data)
  }

  const control = async (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams) => {
    const raw = await readBody(req)
    let body: unknown
    try {
      body = raw.length === 0 ? undefined : JSON.parse(raw.toString("utf8"))
    } catch {
      return json(res, 400, { error: "the body is not valid JSON", field: "body" })
    }
    const result = controlRoute(sandbox, req.method ?? "GET", path.slice(controlPrefix.length), query, body)
    json(res, result.status, result.body)
  }

  // Server-sent events: one `data:` line of JSON per SandboxEvent, a comment every 15 s so proxies
  // and clients keep the connection; it ends when the client goes or the sandbox closes.
  const events = (res: ServerResponse) => {
    res.writeHead(200, ["content-type", "text/event-stream", "cache-control", "no-cache"])
    res.write(": sandbox events\n\n")
    const stop = sandbox.events.subscribe((event) => res.write(`data: ${JSON.stringify(event)}\n\n`))
    const beat = setInterval(() => res.write(": ping\n\n"), 15_000)
    held.add(res)
    res.on("close", () => {
      stop()
      clearInterval(beat)
      held.delete(res)
    })
  }

  // Synchronous routing; only the Bot API and control API branches are async (they read a body).
  const handle = (req: IncomingMessage, res: ServerResponse): Promise<void> | void => {
    const { path, query } = target(req.url ?? "/")
    const bot = botPath.exec(path)
    if (bot !== null) return botApi(req, res, query, bot[1]!, bot[2]!)
    const file = filePath.exec(path)
    if (file !== null) return download(res, file[1]!, file[2]!)
    if (path === `${controlPrefix}/events` && req.method === "GET") return events(res)
    if (path.startsWith(`${controlPrefix}/`)) return control(req, res, path, query)
    json(res, 404, { ok: false, error_code: 404, description: "Not Found" })
  }

  const failed = (res: ServerResponse, error: unknown) => {
    console.error("sandbox: request failed", error)
    if (!res.headersSent) json(res, 500, { ok: false, error_code: 500, description: "Internal Server Error" })
  }

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    try {
      handle(req, res)?.catch((error: unknown) => failed(res, error))
    } catch (error) {
      failed(res, error)
    }
  }
  return Object.assign(handler, {
    closeHeld: () => {
      for (const res of held) res.socket?.destroy()
    }
  })
}

export interface ServeOptions extends SandboxOptions {
  readonly host?: string
  /** 0 (the default) picks a free port. */
  readonly port?: number
}

export interface RunningSandbox {
  /** What grammY takes as `client.apiRoot`, e.g. `http://127.0.0.1:41234`. */
  readonly apiRoot: string
  /** The control API root, `<apiRoot>/sandbox/v1`. */
  readonly url: string
  /** The sandbox itself: the in-process control API and its world. */
  readonly world: Sandbox
  readonly close: () => Promise<void>
}

/**
 * Starts a sandbox Telegram on `host:port`.
 *
 * @example
 * const sandbox = await startSandbox({ port: 0 })
 * const { token } = sandbox.world.createBot({ username: "helper_bot" })
 * const bot = new Bot(token, { client: { apiRoot: sandbox.apiRoot } })
 */
export const startSandbox = async (options: ServeOptions = {}): Promise<RunningSandbox> => {
  const sandbox = new Sandbox(options)
  const handler = sandboxHandler(sandbox)
  // Idle connections stay open between calls (grammY's agent keeps them alive and reuses one socket
  // for all its calls), and Nagle's algorithm is off so a small answer leaves at once instead of
  // waiting for the client's delayed ACK.
  const server = createServer({ keepAlive: true, keepAliveTimeout: 65_000, noDelay: true }, handler)
  const sockets = new Set<Socket>()
  server.on("connection", (socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  const host = options.host ?? "127.0.0.1"
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port ?? 0, host, () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const apiRoot = `http://${host.includes(":") ? `[${host}]` : host}:${port}`
  return {
    apiRoot,
    url: `${apiRoot}${controlPrefix}`,
    world: sandbox,
    close: () =>
      new Promise<void>((resolve) => {
        sandbox.close()
        handler.closeHeld()
        server.close(() => resolve())
        for (const socket of sockets) socket.destroy()
      })
  }
}
