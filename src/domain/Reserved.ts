/**
 * Reserved events a machine emits to ask the ActorHost for an effect. The host acts on them in
 * the step's transaction instead of journalling them, so plugins never see them.
 */

/**
 * Asks for a Bot API call: an `outbox` row the Sender delivers. With `replyAs`, its outcome comes
 * back to the actor as mail: `{ type: replyAs, outboxId, messageId, result }` once sent, or a
 * `delivery.failed` event if Telegram refused it.
 *
 * @example
 * emit({ type: "outbox.send", connection: "bot:7000000001", chatId: -1001234567890,
 *   method: "createForumTopic", params: { name: "Alice" }, replyAs: "dialog.topicCreated" })
 */
export interface OutboxSend {
  readonly type: "outbox.send"
  readonly connection: string
  readonly chatId: number
  readonly method: string
  readonly params: Readonly<Record<string, unknown>>
  readonly replyAs?: string
  /** Mail a `delivery.failed` event (with the call's `params`) to the actor if Telegram refuses the call. */
  readonly reportFailure?: boolean
}

/**
 * Sets a durable timer: after `delayMs`, `event` comes back to the actor (as mail), unless the
 * actor sets `name` again or cancels it first. It survives restarts.
 *
 * @example
 * emit({ type: "timer.set", name: "autoClose", delayMs: 48 * 3600_000, event: { type: "dialog.autoClose" } })
 */
export interface TimerSet {
  readonly type: "timer.set"
  readonly name: string
  readonly delayMs: number
  readonly event: { readonly type: string }
}

/**
 * Cancels the actor's timer `name` (nothing happens if none is set).
 *
 * @example
 * emit({ type: "timer.cancel", name: "autoClose" })
 */
export interface TimerCancel {
  readonly type: "timer.cancel"
  readonly name: string
}

/**
 * Claims a forum topic for the actor: the Router then delivers that topic's messages to it (a
 * dialog's topic, for example) instead of to the group actor.
 *
 * @example
 * emit({ type: "topic.claim", chatId: -1001234567890, threadId: 42 })
 */
export interface TopicClaim {
  readonly type: "topic.claim"
  readonly chatId: number
  readonly threadId: number
}

/** Every reserved event. */
export type Reserved = OutboxSend | TimerSet | TimerCancel | TopicClaim

const reservedTypes: ReadonlySet<string> = new Set<Reserved["type"]>([
  "outbox.send",
  "timer.set",
  "timer.cancel",
  "topic.claim"
])

/**
 * Whether an emitted event is reserved (acted on by the host, not journalled).
 *
 * @example
 * isReserved({ type: "outbox.send" }) // true
 */
export const isReserved = (event: { readonly type: string }): event is Reserved =>
  reservedTypes.has(event.type)
