import { Clock, Duration, Effect, Option, Schema } from "effect"
import type { PluginContext } from "../../src/plugins/definePlugin.ts"
import { severities, type Config, type Route } from "./config.ts"
import { html, render } from "./template.ts"

type Ctx = PluginContext<Config>

/** The name of the topic a route without `topic` posts in, when no topic has the kind `notifications`. */
export const defaultTopic = "Notifications"

/** A route's repeats of one dedup key: the message they update, and how many there were. */
const Dedup = Schema.Struct({
  first: Schema.Number,
  count: Schema.Number,
  threadId: Schema.Number,
  /** The text as first sent, which finds the message among the plugin's sent messages. */
  text: Schema.String,
  latest: Schema.String,
  messageId: Schema.NullOr(Schema.Number),
  /** The count the message shows (1 until it is first edited). */
  shown: Schema.Number
})
type Dedup = typeof Dedup.Type

/** A route's rate-limit window: messages sent in it, and those held back. */
const Window = Schema.Struct({
  start: Schema.Number,
  sent: Schema.Number,
  held: Schema.Number,
  threadId: Schema.Number,
  last: Schema.NullOr(Schema.String),
  /** The limit it was opened under (a timer's handler has only the plugins.json configuration). */
  max: Schema.Number,
  seconds: Schema.Number
})
type Window = typeof Window.Type

/** Notifications waiting for their topic to be created. */
export const Pending = Schema.Array(Schema.Struct({ route: Schema.String, body: Schema.Unknown }))

export const topicKey = (name: string) => `topic:${name.toLowerCase()}`
export const pendingKey = (name: string) => `pending:${name.toLowerCase()}`
export const kindKey = "kind:notifications"
const PENDING_MAX = 100
const EDIT_RETRIES = 10
const plain = { parse_mode: "HTML" as const, link_preview_options: { is_disabled: true } }

// A dedup key is stored with the route: `dedup:<route>:<key>`.
const dedupKey = (route: string, entry: Route, body: unknown) =>
  entry.dedup === undefined
    ? undefined
    : `dedup:${route}:${render(entry.dedup.key, body, false).slice(0, 200)}`

/** Where a route posts in a group: a thread id, or the name of a topic it does not know yet. */
const whereTo = (ctx: Ctx, chatId: number, entry: Route) =>
  Effect.gen(function* () {
    if (typeof entry.topic === "number") return { threadId: entry.topic } as const
    const store = ctx.storage.at({ chatId })
    if (entry.topic === undefined) {
      const kind = yield* store.get(kindKey, Schema.Number)
      if (Option.isSome(kind)) return { threadId: kind.value } as const
    }
    const name = entry.topic ?? defaultTopic
    const known = yield* store.get(topicKey(name), Schema.Number)
    return Option.isSome(known) ? ({ threadId: known.value } as const) : ({ name } as const)
  })

/** Edits a dedup's message to its latest text, once its id is known; until then retries on a timer. */
export const editDedup = (ctx: Ctx, chatId: number, key: string, entry: Dedup, attempt: number) =>
  Effect.gen(function* () {
    const store = ctx.storage.at({ chatId })
    const found =
      entry.messageId !== null
        ? Option.some(entry.messageId)
        : Option.map(
            Option.fromNullable(
              (yield* ctx.sentMessages({ chatId, threadId: entry.threadId }, 100)).find(
                (message) => message.text === entry.text
              )
            ),
            (message) => message.messageId
          )
    if (Option.isNone(found)) {
      yield* store.set(key, entry)
      if (attempt < EDIT_RETRIES)
        yield* ctx.timers.set(`edit:${chatId}:${key}`, Duration.seconds(2), {
          type: "notify.edit",
          chatId,
          key,
          attempt: attempt + 1
        })
      return
    }
    yield* store.set(key, { ...entry, messageId: found.value, shown: entry.count })
    if (entry.shown === entry.count) return
    yield* ctx.call("editMessageText", {
      chat_id: chatId,
      message_id: found.value,
      text: entry.latest,
      ...plain
    })
  })

export const editFired = (ctx: Ctx, chatId: number, key: string, attempt: number) =>
  Effect.flatMap(ctx.storage.at({ chatId }).get(key, Dedup), (entry) =>
    Option.isSome(entry) ? editDedup(ctx, chatId, key, entry.value, attempt) : Effect.void
  )

const summary = (route: string, window: Window) => {
  const what = window.held === 1 ? "1 more notification was" : `${window.held} more notifications were`
  return `⏸ <b>${html(route)}</b>: ${what} held back by the rate limit (${window.max} per ${window.seconds} s). The last:\n${window.last ?? ""}`
}

/** Posts a window's summary of what it held back, if it held anything, and forgets the window. */
export const closeWindow = (ctx: Ctx, chatId: number, route: string, start: number) =>
  Effect.gen(function* () {
    const store = ctx.storage.at({ chatId })
    const window = yield* store.get(`rate:${route}`, Window)
    if (Option.isNone(window) || window.value.start !== start) return
    yield* store.delete(`rate:${route}`)
    if (window.value.held > 0)
      yield* ctx.post({ chatId, threadId: window.value.threadId }, summary(route, window.value), plain)
  })

/** One notification of `route` in a topic: a repeat updates its message, a flood is held back. */
export const post = (
  ctx: Ctx,
  chatId: number,
  threadId: number,
  route: string,
  entry: Route,
  body: unknown
) =>
  Effect.gen(function* () {
    const store = ctx.storage.at({ chatId })
    const now = yield* Clock.currentTimeMillis
    const head = `${severities[entry.severity]} <b>${html(route)}</b>`
    const text = render(entry.template, body, true)
    const key = dedupKey(route, entry, body)
    if (key !== undefined) {
      const seen = yield* store.get(key, Dedup)
      if (
        Option.isSome(seen) &&
        seen.value.threadId === threadId &&
        now - seen.value.first < entry.dedup!.seconds * 1000
      ) {
        const count = seen.value.count + 1
        return yield* editDedup(
          ctx,
          chatId,
          key,
          { ...seen.value, count, latest: `${head} ×${count}\n${text}` },
          0
        )
      }
    }
    if (entry.rateLimit !== undefined) {
      const limit = entry.rateLimit
      const stored = yield* store.get(`rate:${route}`, Window)
      if (Option.isSome(stored) && now - stored.value.start >= limit.seconds * 1000)
        yield* closeWindow(ctx, chatId, route, stored.value.start)
      const window =
        Option.isSome(stored) && now - stored.value.start < limit.seconds * 1000
          ? stored.value
          : { start: now, sent: 0, held: 0, threadId, last: null, max: limit.max, seconds: limit.seconds }
      if (window.sent >= limit.max) {
        yield* store.set(`rate:${route}`, { ...window, held: window.held + 1, last: `${head}\n${text}` })
        if (window.held === 0)
          yield* ctx.timers.set(
            `rate:${chatId}:${route}`,
            Duration.millis(window.start + limit.seconds * 1000 - now),
            { type: "notify.window", chatId, route, start: window.start }
          )
        return
      }
      yield* store.set(`rate:${route}`, { ...window, sent: window.sent + 1 })
    }
    const message = `${head}\n${text}`
    yield* ctx.post({ chatId, threadId }, message, {
      ...plain,
      disable_notification: entry.severity === "info"
    })
    if (key === undefined) return
    const fresh: Dedup = {
      first: now,
      count: 1,
      threadId,
      text: message,
      latest: message,
      messageId: null,
      shown: 1
    }
    yield* store.set(key, fresh)
  })

/** A notification of `route` in a group: into its topic, or queued while that topic is created. */
export const deliver = (ctx: Ctx, chatId: number, route: string, entry: Route, body: unknown) =>
  Effect.gen(function* () {
    const where = yield* whereTo(ctx, chatId, entry)
    if ("threadId" in where) return yield* post(ctx, chatId, where.threadId, route, entry, body)
    const store = ctx.storage.at({ chatId })
    const pending = Option.getOrElse(yield* store.get(pendingKey(where.name), Pending), () => [])
    if (pending.length === 0) yield* ctx.createTopic(chatId, where.name)
    yield* store.set(pendingKey(where.name), [...pending, { route, body }].slice(-PENDING_MAX))
  })

/** A topic `name` now exists as `threadId`: what waited for it is delivered. */
export const flush = (ctx: Ctx, chatId: number, name: string, threadId: number) =>
  Effect.gen(function* () {
    const store = ctx.storage.at({ chatId })
    const pending = yield* store.get(pendingKey(name), Pending)
    if (Option.isNone(pending)) return
    yield* store.delete(pendingKey(name))
    for (const { route, body } of pending.value) {
      const entry = ctx.config.routes[route]
      if (entry !== undefined) yield* post(ctx, chatId, threadId, route, entry, body)
    }
  })
