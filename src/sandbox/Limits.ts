import { tooManyRequests } from "./BotApiError.ts"

/** A token bucket: `burst` messages at once, refilled at `perSecond`. */
export interface Rate {
  readonly burst: number
  readonly perSecond: number
}

export interface LimitsConfig {
  readonly enabled: boolean
  /**
   * Real duration of one Telegram second: 0.1 runs every limit ten times faster. `retry_after`
   * is still reported in Telegram seconds (an integer, as Telegram does), so a client waiting
   * `retry_after * timeScale` seconds is on time.
   */
  readonly timeScale: number
  readonly privateChat: Rate
  readonly group: Rate
  readonly bot: Rate
}

/** Telegram's documented limits: about 1 message/s per private chat (short bursts pass), 20/min per group, 30/s per bot. */
export const defaultLimits: LimitsConfig = {
  enabled: true,
  timeScale: 1,
  privateChat: { burst: 3, perSecond: 1 },
  group: { burst: 20, perSecond: 20 / 60 },
  bot: { burst: 30, perSecond: 30 }
}

interface Bucket {
  tokens: number
  at: number
}

/** Flood control for sending methods, answered with 429 `retry_after` like Telegram's. */
export class RateLimiter {
  // Per bot: its own bucket and one per chat it writes to (by chat key). Nested maps keep the
  // lookup on every sending call free of key strings and temporary arrays.
  private readonly buckets = new Map<number, { own: Bucket; chats: Map<string, Bucket> }>()

  constructor(
    public config: LimitsConfig,
    private readonly clock: () => number = Date.now
  ) {}

  configure(patch: Partial<LimitsConfig>): void {
    this.config = { ...this.config, ...patch }
    if (patch.enabled === false || patch.timeScale !== undefined) this.buckets.clear()
  }

  private static refill(bucket: Bucket, rate: Rate, now: number): Bucket {
    bucket.tokens = Math.min(rate.burst, bucket.tokens + ((now - bucket.at) / 1000) * rate.perSecond)
    bucket.at = now
    return bucket
  }

  private static wait(bucket: Bucket, rate: Rate, count: number): number {
    return Math.max(1, Math.ceil((count - bucket.tokens) / rate.perSecond))
  }

  /** Takes `count` messages from the bot's and the chat's budget, or throws 429 and takes nothing. */
  take(botId: number, chatKey: string, isPrivate: boolean, count = 1): void {
    if (!this.config.enabled) return
    const now = this.clock() / this.config.timeScale
    const botRate = this.config.bot
    const chatRate = isPrivate ? this.config.privateChat : this.config.group
    let perBot = this.buckets.get(botId)
    if (perBot === undefined) {
      perBot = { own: { tokens: botRate.burst, at: now }, chats: new Map() }
      this.buckets.set(botId, perBot)
    }
    let chat = perBot.chats.get(chatKey)
    if (chat === undefined) {
      chat = { tokens: chatRate.burst, at: now }
      perBot.chats.set(chatKey, chat)
    }
    const own = RateLimiter.refill(perBot.own, botRate, now)
    RateLimiter.refill(chat, chatRate, now)
    if (own.tokens < count) throw tooManyRequests(RateLimiter.wait(own, botRate, count))
    if (chat.tokens < count) throw tooManyRequests(RateLimiter.wait(chat, chatRate, count))
    own.tokens -= count
    chat.tokens -= count
  }
}
