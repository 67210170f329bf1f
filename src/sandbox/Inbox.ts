import type { Update } from "grammy/types"
import { BotApiError } from "./BotApiError.ts"

export type UpdateKind = Exclude<keyof Update, "update_id">
export type UpdateBody = Omit<Update, "update_id">

/** Update kinds Telegram leaves out unless `allowed_updates` names them. */
const optIn: ReadonlySet<string> = new Set(["chat_member", "message_reaction", "message_reaction_count"])

export interface WebhookConfig {
  readonly url: string
  readonly secretToken?: string
  readonly maxConnections: number
  lastErrorDate?: number
  lastErrorMessage?: string
}

interface Waiter {
  readonly resolve: (updates: Array<Update>) => void
  readonly reject: (error: BotApiError) => void
  readonly timer: NodeJS.Timeout | undefined
  readonly count: number
}

/**
 * One bot's pending updates: `getUpdates` with confirmation by offset and long polling, or a
 * webhook that receives them in order. Like Telegram, `allowed_updates` filters updates when they
 * are produced, and the last value given stays in force until another is given.
 */
export class Inbox {
  private readonly pending: Array<Update> = []
  private nextUpdateId: number
  private allowed: ReadonlySet<string> | undefined
  private waiter: Waiter | undefined
  webhook: WebhookConfig | undefined
  /** Called when an update is queued while a webhook is set. */
  onQueued: () => void = () => {}

  constructor(firstUpdateId: number) {
    this.nextUpdateId = firstUpdateId
  }

  setAllowed(kinds: ReadonlyArray<string> | undefined): void {
    if (kinds === undefined) return
    this.allowed = kinds.length === 0 ? undefined : new Set(kinds)
  }

  allowedUpdates(): Array<UpdateKind> | undefined {
    return this.allowed === undefined ? undefined : ([...this.allowed] as Array<UpdateKind>)
  }

  accepts(kind: UpdateKind): boolean {
    return this.allowed === undefined ? !optIn.has(kind) : this.allowed.has(kind)
  }

  push(body: UpdateBody): void {
    const kind = Object.keys(body)[0] as UpdateKind
    if (!this.accepts(kind)) return
    this.pending.push({ update_id: this.nextUpdateId++, ...body })
    if (this.webhook !== undefined) this.onQueued()
    else if (this.waiter !== undefined) this.flush(this.waiter)
  }

  get size(): number {
    return this.pending.length
  }

  peek(): Update | undefined {
    return this.pending[0]
  }

  shift(): void {
    this.pending.shift()
  }

  drop(): void {
    this.pending.length = 0
  }

  private confirm(offset: number): void {
    if (offset > 0) {
      while (this.pending.length > 0 && this.pending[0]!.update_id < offset) this.pending.shift()
    } else if (offset < 0) {
      this.pending.splice(0, Math.max(0, this.pending.length + offset))
    }
  }

  private flush(waiter: Waiter, limit = waiter.count): void {
    if (waiter.timer !== undefined) clearTimeout(waiter.timer)
    if (this.waiter === waiter) this.waiter = undefined
    waiter.resolve(this.pending.slice(0, limit))
  }

  /** `getUpdates`: a newer call ends a waiting one with 409, as Telegram does. */
  getUpdates(
    offset: number,
    limit: number,
    timeoutSeconds: number,
    /** Asked for only when the call waits: the client may abandon a long poll. */
    signal?: () => AbortSignal
  ): Promise<Array<Update>> {
    if (this.webhook !== undefined) {
      throw new BotApiError({
        code: 409,
        description:
          "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
      })
    }
    const previous = this.waiter
    if (previous !== undefined) {
      if (previous.timer !== undefined) clearTimeout(previous.timer)
      this.waiter = undefined
      previous.reject(
        new BotApiError({
          code: 409,
          description:
            "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
        })
      )
    }
    this.confirm(offset)
    const count = Math.min(Math.max(limit, 1), 100)
    if (this.pending.length > 0 || timeoutSeconds <= 0) return Promise.resolve(this.pending.slice(0, count))
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        count,
        timer: setTimeout(() => this.flush(waiter), timeoutSeconds * 1000)
      }
      this.waiter = waiter
      signal?.().addEventListener("abort", () => {
        if (this.waiter === waiter) this.flush(waiter)
      })
    })
  }

  /** Ends a pending long poll (sandbox shutdown). */
  close(): void {
    if (this.waiter !== undefined) this.flush(this.waiter, 0)
  }
}
