import { Effect, Option } from "effect"
import { AppConfig } from "../Config.ts"
import { Connections, type BotConnection } from "./Connections.ts"
import { Polling } from "./Polling.ts"
import { Webhook } from "./Webhook.ts"

/**
 * Where Telegram updates enter Backline: for every bot connection, long polling, or with
 * `PUBLIC_URL` a webhook at `${PUBLIC_URL}/telegram/webhook/<connection>`; either way each update
 * is committed to the inbox before Telegram is told it arrived. Each connection runs in its own
 * fiber in the caller's scope, so closing the scope stops them (an in-flight long poll is aborted).
 */
export class Gateway extends Effect.Service<Gateway>()("app/Gateway", {
  effect: Effect.gen(function* () {
    const config = yield* AppConfig
    const connections = yield* Connections
    const polling = yield* Polling
    const webhook = yield* Webhook

    /** Starts receiving updates for these connections, in the background of the current scope. */
    const serve = Effect.fn("Gateway.serve")(function* (bots: ReadonlyArray<BotConnection>) {
      for (const bot of bots) {
        const receive = Option.match(config.publicUrl, {
          onNone: () => polling.run(bot),
          onSome: (publicUrl) => webhook.register(bot, publicUrl)
        })
        yield* Effect.forkScoped(receive.pipe(Effect.annotateLogs("connection", bot.id)))
      }
      yield* Effect.logInfo(
        `telegram: ${bots.length} bot connection(s) ${Option.isSome(config.publicUrl) ? "on webhooks" : "polling"}`
      )
    })

    /** Seeds the `BOT_TOKEN` connection, then serves every enabled bot connection. */
    const start = Effect.gen(function* () {
      yield* connections.seed.pipe(Effect.provideService(AppConfig, config))
      const bots = yield* connections.bots
      yield* serve(bots)
      return bots
    }).pipe(Effect.withSpan("Gateway.start"))

    return { serve, start } as const
  }),
  dependencies: [Connections.Default, Polling.Default, Webhook.Default]
}) {}
