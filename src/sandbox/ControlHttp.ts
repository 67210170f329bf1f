import { BotApiError, ControlError, invalidField } from "./BotApiError.ts"
import type { Sandbox } from "./Sandbox.ts"

export interface ControlAnswer {
  readonly status: number
  readonly body: unknown
}

type Route = (
  sandbox: Sandbox,
  match: ReadonlyArray<string>,
  body: Record<string, unknown>,
  query: URLSearchParams
) => unknown

// `as never` hands the JSON body to the control method, which validates every field it reads and
// answers 4xx naming the field; the types there describe valid input.
const routes: ReadonlyArray<[string, RegExp, Route]> = [
  ["POST", /^\/users$/, (s, _, b) => s.createUser(b as never)],
  ["GET", /^\/users$/, (s) => s.people()],
  ["POST", /^\/bots$/, (s, _, b) => s.createBot(b as never)],
  ["POST", /^\/chats$/, (s, _, b) => s.createChat(b as never)],
  ["POST", /^\/chats\/(-?\d+)\/members$/, (s, m, b) => (s.setMember(Number(m[1]), b as never), { ok: true })],
  ["POST", /^\/messages$/, (s, _, b) => s.sendMessage(b as never)],
  ["POST", /^\/edits$/, (s, _, b) => s.edit(b as never)],
  ["POST", /^\/deletions$/, (s, _, b) => (s.deleteMessage(b as never), { ok: true })],
  ["POST", /^\/reactions$/, (s, _, b) => (s.react(b as never), { ok: true })],
  ["POST", /^\/callbacks$/, (s, _, b) => s.pressButton(b as never)],
  ["GET", /^\/callbacks\/(\d+)$/, (s, m) => s.callbackAnswer(m[1]!)],
  ["GET", /^\/chats\/(-?\d+)\/topics$/, (s, m) => s.topics(Number(m[1]))],
  ["POST", /^\/chats\/(-?\d+)\/topics$/, (s, m, b) => s.createTopic(Number(m[1]), b as never)],
  [
    "POST",
    /^\/chats\/(-?\d+)\/topics\/(\d+)\/(delete|close|reopen)$/,
    (s, m, b) => {
      s.topicAction(
        Number(m[1]),
        Number(m[2]),
        m[3] as "delete" | "close" | "reopen",
        b["from"] as number | undefined
      )
      return { ok: true }
    }
  ],
  [
    "GET",
    /^\/chats\/(-?\d+)\/messages$/,
    (s, m, _, q) => {
      const as = q.get("as")
      if (as === null) throw invalidField("as", "is required")
      const thread = q.get("message_thread_id")
      return s.messages(Number(m[1]), Number(as), thread === null ? undefined : Number(thread))
    }
  ],
  [
    "GET",
    /^\/chats\/(-?\d+)\/messages\/(\d+)\/reactions$/,
    (s, m, _, q) => {
      const as = q.get("as")
      if (as === null) throw invalidField("as", "is required")
      return s.reactions(Number(m[1]), Number(as), Number(m[2]))
    }
  ],
  ["POST", /^\/faults$/, (s, _, b) => (s.fault(b as never), { ok: true })],
  ["DELETE", /^\/faults$/, (s) => (s.faults.clear(), { ok: true })],
  ["POST", /^\/limits$/, (s, _, b) => s.setLimits(b as never)],
  ["POST", /^\/blocks$/, (s, _, b) => (s.block(b as never), { ok: true })]
]

/** Answers a control API request under `/sandbox/v1`; `path` is what follows that prefix. */
export const controlRoute = (
  sandbox: Sandbox,
  method: string,
  path: string,
  query: URLSearchParams,
  body: unknown
): ControlAnswer => {
  // One pass: the first route whose path and verb match; a path known under another verb is 405.
  let route: (typeof routes)[number] | undefined
  let match: RegExpExecArray | null = null
  let pathKnown = false
  for (const candidate of routes) {
    const found = candidate[1].exec(path)
    if (found === null) continue
    pathKnown = true
    if (candidate[0] === method) {
      route = candidate
      match = found
      break
    }
  }
  if (!pathKnown) return { status: 404, body: { error: `no route ${path}`, field: "path" } }
  if (route === undefined || match === null)
    return { status: 405, body: { error: `${method} is not allowed here`, field: "method" } }
  if (method === "POST" && (typeof body !== "object" || body === null || Array.isArray(body))) {
    return { status: 400, body: { error: "the body must be a JSON object", field: "body" } }
  }
  try {
    const result = route[2](sandbox, match, (body ?? {}) as Record<string, unknown>, query)
    return { status: 200, body: result }
  } catch (error) {
    if (error instanceof ControlError)
      return { status: error.status, body: { error: error.error, field: error.field } }
    if (error instanceof BotApiError) {
      return {
        status: error.code === 429 ? 429 : error.code >= 400 && error.code < 500 ? error.code : 400,
        body: { error: error.description, field: fieldOf(error.description) }
      }
    }
    throw error
  }
}

/** The control field a Telegram-style refusal is about, for the `field` of the answer. */
const fieldOf = (description: string): string => {
  if (/thread|topic/i.test(description)) return "message_thread_id"
  if (/replied/i.test(description)) return "reply_to_message_id"
  if (/text|too long/i.test(description)) return "text"
  if (/caption/i.test(description)) return "caption"
  if (/reaction/i.test(description)) return "reaction"
  if (/message/i.test(description)) return "message_id"
  return "chat_id"
}
