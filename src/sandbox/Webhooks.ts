import type { World } from "./World.ts"

export interface WebhookRetry {
  /** First wait after a failed delivery, in Telegram milliseconds (scaled by the time scale). */
  readonly initialMs: number
  readonly maxMs: number
}

export const defaultWebhookRetry: WebhookRetry = { initialMs: 1000, maxMs: 60_000 }

/** Runs a method the receiver put in its webhook answer, as Telegram allows. */
export type WebhookReply = (botId: number, method: string, fields: Record<string, unknown>) => Promise<void>

/**
 * Delivers each bot's updates to its webhook, one at a time and in order, with the secret token
 * header; a failing receiver gets the same update again after a growing wait.
 */
export class Webhooks {
  private readonly running = new Set<number>()
  private closed = false
  private readonly timers = new Set<NodeJS.Timeout>()

  constructor(
    private readonly world: World,
    private readonly retry: () => WebhookRetry & { readonly timeScale: number },
    private readonly reply: WebhookReply
  ) {}

  start(botId: number): void {
    if (this.running.has(botId) || this.closed) return
    this.running.add(botId)
    void this.pump(botId).finally(() => this.running.delete(botId))
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer)
        resolve()
      }, ms)
      this.timers.add(timer)
    })
  }

  private async pump(botId: number): Promise<void> {
    const inbox = this.world.inboxes.get(botId)!
    let failures = 0
    for (;;) {
      const hook = inbox.webhook
      const update = inbox.peek()
      if (this.closed || hook === undefined || update === undefined) return
      let error: string | undefined
      try {
        const response = await fetch(hook.url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...(hook.secretToken !== undefined ? { "x-telegram-bot-api-secret-token": hook.secretToken } : {})
          },
          body: JSON.stringify(update),
          signal: AbortSignal.timeout(60_000)
        })
        const text = await response.text()
        if (response.ok) {
          if (inbox.peek() === update) inbox.shift()
          failures = 0
          await this.answer(botId, response.headers.get("content-type"), text)
          continue
        }
        error = `Wrong response from the webhook: ${response.status} ${response.statusText}`
      } catch (cause) {
        error = cause instanceof Error && cause.cause instanceof Error ? cause.cause.message : String(cause)
      }
      hook.lastErrorDate = this.world.now()
      hook.lastErrorMessage = error
      const { initialMs, maxMs, timeScale } = this.retry()
      await this.sleep(Math.min(maxMs, initialMs * 2 ** failures) * timeScale)
      failures += 1
    }
  }

  private async answer(botId: number, contentType: string | null, text: string): Promise<void> {
    if (!(contentType ?? "").includes("application/json") || text === "") return
    try {
      const body = JSON.parse(text) as Record<string, unknown>
      const { method, ...fields } = body
      if (typeof method === "string") await this.reply(botId, method, fields)
    } catch {
      // Telegram ignores an answer it cannot use.
    }
  }

  close(): void {
    this.closed = true
    for (const timer of this.timers) clearTimeout(timer)
  }
}
