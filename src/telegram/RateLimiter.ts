import { Context, Deferred, Effect, Exit, FiberId } from "effect"
import type { ConnectionId } from "../domain/Ids.ts"

/** A token bucket in Telegram seconds: `burst` messages at once, refilled at `perSecond`. */
export interface Rate {
  readonly burst: number
  readonly perSecond: number
}

export interface RateLimits {
  readonly enabled: boolean
  /** Real duration of one Telegram second, as the sandbox's `limits.timeScale`: 0.1 runs ten times faster. */
  readonly timeScale: number
  /**
   * Share of every burst left unused (0.2 = a fifth). Telegram's buckets start when a call
   * arrives, ours when it leaves; the spare tokens absorb a first call that travelled slower
   * than the ones after it, which would otherwise find Telegram's bucket a fraction short.
   */
  readonly headroom: number
  readonly privateChat: Rate
  readonly group: Rate
  readonly bot: Rate
  /**
   * Calls of one bot in flight at once. Calls granted but still on their way may arrive bunched,
   * and Telegram's full bucket has then wasted what they were granted from: keep this at most the
   * bot's headroom (30 × 0.2 = 6) so such a bunch always fits. The Sender keeps a slot until it
   * has recorded the call's outcome, so a crash loses at most this many outcomes per bot.
   */
  readonly inFlight: number
  /**
   * Calls of one bot in flight at once when `enabled` is false: no bucket to bunch against, so
   * only the crash window bounds it (a crash loses at most this many outcomes per bot).
   */
  readonly inFlightWithoutLimits: number
}

/** Telegram's figures: about 1 message/s per private chat (short bursts pass), 20/min per group, 30/s per bot. */
export const telegramLimits: RateLimits = {
  enabled: true,
  timeScale: 1,
  headroom: 0.2,
  privateChat: { burst: 3, perSecond: 1 },
  group: { burst: 20, perSecond: 20 / 60 },
  bot: { burst: 30, perSecond: 30 },
  inFlight: 6,
  inFlightWithoutLimits: 128
}

/** The limits the RateLimiter (and the Sender's 429 pauses) use; tests provide a faster `timeScale`. */
export class RateLimiterConfig extends Context.Reference<RateLimiterConfig>()("app/RateLimiterConfig", {
  defaultValue: (): RateLimits => telegramLimits
}) {}

/** What one call costs: `count` messages from the bot's budget, and from the chat's when `perChat`. */
export interface Weight {
  readonly count: number
  readonly perChat: boolean
}

const oneMessage: Weight = { count: 1, perChat: true }
const notAMessage: Weight = { count: 1, perChat: false }

// prettier-ignore
const messageMethods = new Set(
  [
    "sendMessage", "sendPhoto", "sendDocument", "sendVideo", "sendVoice", "sendVideoNote", "sendAudio",
    "sendAnimation", "sendSticker", "sendLocation", "sendVenue", "sendContact", "sendPoll", "sendDice",
    "sendInvoice", "sendPaidMedia", "copyMessage", "forwardMessage"
  ].map((name) => name.toLowerCase())
)

const lengthOf = (value: unknown): number => (Array.isArray(value) && value.length > 0 ? value.length : 1)

/**
 * The cost of a Bot API call. Calls that post messages count against the chat and the bot (an
 * album or a batch copy as many messages as it holds); other calls (edits, deletions, topics,
 * reactions, chat actions) post nothing new in the chat, so they count only against the bot.
 */
export const weightOf = (method: string, params: Readonly<Record<string, unknown>>): Weight => {
  const name = method.toLowerCase()
  if (name === "sendmediagroup") return { count: lengthOf(params["media"]), perChat: true }
  if (name === "copymessages" || name === "forwardmessages")
    return { count: lengthOf(params["message_ids"]), perChat: true }
  return messageMethods.has(name) ? oneMessage : notAMessage
}

interface Bucket {
  tokens: number
  at: number
}

/** A chat's bucket, and whose turn it is: one call at a time from its wait for the budget until it leaves. */
interface ChatBucket extends Bucket {
  busy: boolean
  readonly turns: Array<Deferred.Deferred<void>>
}

/** A caller waiting for one of the bot's call slots: called once the slot is its. */
interface SlotWaiter {
  readonly grant: () => void
}

interface Waiter {
  readonly count: number
  readonly granted: Deferred.Deferred<void>
}

/** One bot's budget, its free call slots and the calls waiting for either, groups' first. */
interface BotGate {
  readonly bucket: Bucket
  readonly groups: Array<Waiter>
  readonly others: Array<Waiter>
  pumping: boolean
  free: number
  readonly slotWaiters: { readonly groups: Array<SlotWaiter>; readonly others: Array<SlotWaiter> }
}

const maxIdleBuckets = 10_000

/**
 * Token buckets for Telegram's limits, kept before Telegram enforces them. A call waits for its
 * chat's budget (when it posts a message), then for one of the bot's call slots, then for the
 * bot's budget, and leaves at once: a token taken long before its call leaves could let calls
 * bunch up past Telegram's bucket. Groups go before private chats for slots and the bot's budget:
 * a group's own budget is 90 times scarcer, and time it waits behind a broadcast is lost to it.
 */
export class RateLimiter extends Effect.Service<RateLimiter>()("app/RateLimiter", {
  scoped: Effect.gen(function* () {
    const limits = yield* RateLimiterConfig
    const clock = yield* Effect.clock
    const scope = yield* Effect.scope
    const usable = (rate: Rate): Rate => ({
      burst: Math.max(1, rate.burst * (1 - limits.headroom)),
      perSecond: rate.perSecond
    })
    const botRate = usable(limits.bot)
    const groupRate = usable(limits.group)
    const privateRate = usable(limits.privateChat)
    const gates = new Map<ConnectionId, BotGate>()
    const chats = new Map<string, ChatBucket>()

    const refill = (bucket: Bucket, rate: Rate): Bucket => {
      const now = clock.unsafeCurrentTimeMillis()
      const earned = ((now - bucket.at) / 1000 / limits.timeScale) * rate.perSecond
      bucket.tokens = Math.min(rate.burst, bucket.tokens + earned)
      bucket.at = now
      return bucket
    }

    /** Real milliseconds until `bucket` holds `count` tokens (a call bigger than a burst waits for a full one). */
    const wait = (bucket: Bucket, rate: Rate, count: number): number => {
      const missing = Math.min(count, rate.burst) - refill(bucket, rate).tokens
      // Rounded up to whole milliseconds, ignoring floating-point dust (300.00000000000006 is 300).
      return missing <= 0 ? 0 : Math.ceil((missing / rate.perSecond) * 1000 * limits.timeScale - 1e-6)
    }

    const chatBucket = (key: string, rate: Rate): ChatBucket => {
      const found = chats.get(key)
      if (found !== undefined) return found
      if (chats.size >= maxIdleBuckets) {
        for (const [other, bucket] of chats)
          if (!bucket.busy && refill(bucket, rate).tokens >= rate.burst) chats.delete(other)
      }
      const bucket = { tokens: rate.burst, at: clock.unsafeCurrentTimeMillis(), busy: false, turns: [] }
      chats.set(key, bucket)
      return bucket
    }

    const passTurn = (bucket: ChatBucket) => {
      const next = bucket.turns.shift()
      if (next === undefined) bucket.busy = false
      else Deferred.unsafeDone(next, Exit.void)
    }

    const takeTurn = (bucket: ChatBucket): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (!bucket.busy) {
          bucket.busy = true
          return Effect.void
        }
        const turn = Deferred.unsafeMake<void>(FiberId.none)
        bucket.turns.push(turn)
        return Deferred.await(turn).pipe(
          Effect.onInterrupt(() =>
            Effect.sync(() => {
              const at = bucket.turns.indexOf(turn)
              if (at >= 0) bucket.turns.splice(at, 1)
              else passTurn(bucket) // given as it was interrupted: pass it on
            })
          )
        )
      })

    const awaitChat = (bucket: Bucket, rate: Rate, count: number): Effect.Effect<void> =>
      Effect.suspend(() => {
        const ms = wait(bucket, rate, count)
        return ms === 0 ? Effect.void : Effect.zipRight(Effect.sleep(ms), awaitChat(bucket, rate, count))
      })

    // Grants the bot's tokens to waiters in order, sleeping until the next one is due. Each step
    // is synchronous, so arrivals never see a half-updated queue.
    const pump = (gate: BotGate): Effect.Effect<void> =>
      Effect.suspend(() => {
        const queue = gate.groups.length > 0 ? gate.groups : gate.others
        const head = queue[0]
        if (head === undefined) {
          gate.pumping = false
          return Effect.void
        }
        const ms = wait(gate.bucket, botRate, head.count)
        if (ms > 0) return Effect.zipRight(Effect.sleep(ms), pump(gate))
        gate.bucket.tokens -= head.count
        queue.shift()
        return Effect.zipRight(Deferred.succeed(head.granted, undefined), pump(gate))
      })

    const gateOf = (connection: ConnectionId): BotGate => {
      const found = gates.get(connection)
      if (found !== undefined) return found
      const bucket = { tokens: botRate.burst, at: clock.unsafeCurrentTimeMillis() }
      const gate = {
        bucket,
        groups: [],
        others: [],
        pumping: false,
        free: limits.enabled ? limits.inFlight : limits.inFlightWithoutLimits,
        slotWaiters: { groups: [], others: [] }
      }
      gates.set(connection, gate)
      return gate
    }

    const giveSlot = (gate: BotGate) => {
      const next = gate.slotWaiters.groups.shift() ?? gate.slotWaiters.others.shift()
      if (next === undefined) gate.free += 1
      else next.grant()
    }

    const takeSlot = (gate: BotGate, isGroup: boolean): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (gate.free > 0) {
          gate.free -= 1
          return Effect.void
        }
        const granted = Deferred.unsafeMake<void>(FiberId.none)
        const waiter: SlotWaiter = { grant: () => Deferred.unsafeDone(granted, Exit.void) }
        const queue = isGroup ? gate.slotWaiters.groups : gate.slotWaiters.others
        queue.push(waiter)
        return Deferred.await(granted).pipe(
          Effect.onInterrupt(() =>
            Effect.sync(() => {
              const at = queue.indexOf(waiter)
              if (at >= 0) queue.splice(at, 1)
              else giveSlot(gate) // granted as it was interrupted: pass it on
            })
          )
        )
      })

    const awaitBot = (gate: BotGate, count: number, isGroup: boolean): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (!gate.pumping && wait(gate.bucket, botRate, count) === 0) {
          gate.bucket.tokens -= count
          return Effect.void
        }
        const waiter: Waiter = { count, granted: Deferred.unsafeMake<void>(FiberId.none) }
        const queue = isGroup ? gate.groups : gate.others
        queue.push(waiter)
        const start = gate.pumping ? Effect.void : Effect.asVoid(Effect.forkIn(pump(gate), scope))
        gate.pumping = true
        return Effect.zipRight(start, Deferred.await(waiter.granted)).pipe(
          Effect.onInterrupt(() =>
            Effect.sync(() => {
              const at = queue.indexOf(waiter)
              if (at >= 0) queue.splice(at, 1)
            })
          )
        )
      })

    /**
     * Runs `call` once it is within every applicable limit, holding one of the bot's call slots
     * while it runs (when disabled, only the slots apply). The waits are interruptible even inside
     * an uninterruptible region; `call` runs as given. `weight` defaults to one message. Negative chat ids are groups and channels,
     * positive ones private chats.
     */
    const withBudget =
      (connection: ConnectionId, chatId: number, weight: Weight = oneMessage) =>
      <A, E, R>(call: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
        Effect.suspend(() => {
          const isGroup = chatId < 0
          const gate = gateOf(connection)
          // Without limits, a bot still has at most `inFlightWithoutLimits` calls in flight.
          if (!limits.enabled)
            return Effect.acquireUseRelease(
              Effect.interruptible(takeSlot(gate, isGroup)),
              () => call,
              () => Effect.sync(() => giveSlot(gate))
            )
          const rate = isGroup ? groupRate : privateRate
          // A chat's calls (one per Sender lane, several in a forum's topics) take turns from their
          // wait for its budget until they leave, so the tokens one waited for are still there
          // once a slot and the bot's budget allow it.
          const bucket = weight.perChat ? chatBucket(`${connection}|${chatId}`, rate) : undefined
          let turn = false
          const leave = () => {
            if (bucket !== undefined && turn) {
              turn = false
              passTurn(bucket)
            }
          }
          const afterChat = Effect.acquireUseRelease(
            Effect.interruptible(takeSlot(gate, isGroup)),
            () =>
              Effect.zipRight(
                Effect.interruptible(awaitBot(gate, weight.count, isGroup)),
                Effect.suspend(() => {
                  if (bucket !== undefined) refill(bucket, rate).tokens -= weight.count
                  leave()
                  return call
                })
              ),
            () => Effect.sync(() => giveSlot(gate))
          )
          return bucket === undefined
            ? afterChat
            : Effect.acquireUseRelease(
                Effect.interruptible(takeTurn(bucket)).pipe(Effect.map(() => (turn = true))),
                () => Effect.zipRight(Effect.interruptible(awaitChat(bucket, rate, weight.count)), afterChat),
                () => Effect.sync(leave)
              )
        })

    /**
     * The same budget as `withBudget`, when it is there at once: takes it (the tokens and one of
     * the bot's call slots) and answers the function that gives the slot back once the call is
     * done. Answers `undefined`, taking nothing, when the call would have to wait, or when others
     * wait already (they go first): the caller then uses `withBudget`. Without limits, use `whenSlot`.
     */
    const tryAcquire = (
      connection: ConnectionId,
      chatId: number,
      weight: Weight = oneMessage
    ): (() => void) | undefined => {
      const isGroup = chatId < 0
      const gate = gateOf(connection)
      if (gate.free === 0 || gate.slotWaiters.groups.length + gate.slotWaiters.others.length > 0)
        return undefined
      if (limits.enabled) {
        const rate = isGroup ? groupRate : privateRate
        const bucket = weight.perChat ? chatBucket(`${connection}|${chatId}`, rate) : undefined
        if (bucket !== undefined && (bucket.busy || wait(bucket, rate, weight.count) > 0)) return undefined
        if (gate.pumping || wait(gate.bucket, botRate, weight.count) > 0) return undefined
        if (bucket !== undefined) bucket.tokens -= weight.count
        gate.bucket.tokens -= weight.count
      }
      gate.free -= 1
      return () => giveSlot(gate)
    }

    /**
     * With the limits off, where a call waits for nothing but one of the bot's call slots: calls
     * `granted` with the function that gives the slot back, at once if one is free, or once one is,
     * in the order `withBudget` hands them out (groups first). Outside any fiber; a caller no longer
     * wanting it still gets the slot and gives it back.
     */
    const whenSlot = (connection: ConnectionId, chatId: number, granted: (release: () => void) => void) => {
      const gate = gateOf(connection)
      const release = () => giveSlot(gate)
      const waiting = gate.slotWaiters.groups.length + gate.slotWaiters.others.length
      if (gate.free > 0 && waiting === 0) {
        gate.free -= 1
        return granted(release)
      }
      ;(chatId < 0 ? gate.slotWaiters.groups : gate.slotWaiters.others).push({
        grant: () => granted(release)
      })
    }

    /** Waits until one call (by default one message) to `chatId` is within every limit, and takes it from the budgets. */
    const acquire = (connection: ConnectionId, chatId: number, weight: Weight = oneMessage) =>
      withBudget(connection, chatId, weight)(Effect.void)

    return { acquire, withBudget, tryAcquire, whenSlot, limits } as const
  })
}) {}
