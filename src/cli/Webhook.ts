import { Args, Command, Options, ValidationError } from "@effect/cli"
import { HelpDoc } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import { runMigrations } from "../sql/Migrations.ts"
import { describeSubscription } from "../webhooks/WebhookCommands.ts"
import { WebhookStore } from "../webhooks/WebhookStore.ts"
import { DatabaseLive } from "./AppLayers.ts"

/** Runs `effect` on the migrated database; a subscription error is one line on stderr and exit code 1. */
const run = <A, E extends { readonly message: string }>(effect: Effect.Effect<A, E, WebhookStore>) =>
  Effect.gen(function* () {
    yield* runMigrations()
    return yield* effect
  }).pipe(
    Effect.provide(WebhookStore.Default),
    Effect.provide(DatabaseLive),
    Effect.catchIf(
      (error): error is E =>
        typeof error === "object" &&
        error !== null &&
        "_tag" in error &&
        String(error._tag).startsWith("Subscription"),
      (error) =>
        Effect.zipRight(
          Console.error(`backline: ${error.message}`),
          // Already said: a usage error, which the CLI reports with nothing more and exit code 1.
          Effect.fail(ValidationError.invalidValue(HelpDoc.empty))
        )
    )
  )

const group = Options.integer("group").pipe(Options.withDescription("The backend group's chat id (-100…)"))

const add = Command.make(
  "add",
  {
    group,
    url: Options.text("url").pipe(Options.withDescription("Where to POST the events (http or https)")),
    events: Options.text("events").pipe(
      Options.withDescription(
        "Comma-separated: dialog.opened, dialog.reopened, dialog.closed, message.received, message.sent, task.changed, or <plugin>.<fact>"
      )
    )
  },
  ({ group, url, events }) =>
    run(
      Effect.gen(function* () {
        const { subscription, secret } = yield* (yield* WebhookStore).add({
          chatId: group,
          url,
          events,
          createdBy: "cli"
        })
        yield* Console.log(
          `webhook ${subscription.id} of group ${subscription.chatId} added: ${describeSubscription(subscription)}`
        )
        yield* Console.log(`signing secret (shown only now): ${secret}`)
      })
    )
).pipe(
  Command.withDescription(
    "Send a group's events to a URL, signed per Standard Webhooks; prints the signing secret once."
  )
)

const list = Command.make("list", { group: Options.optional(group) }, ({ group }) =>
  run(
    Effect.gen(function* () {
      const subscriptions = yield* (yield* WebhookStore).list(Option.getOrUndefined(group))
      if (subscriptions.length === 0) return yield* Console.log("no webhooks")
      for (const subscription of subscriptions)
        yield* Console.log(`group ${subscription.chatId}  ${describeSubscription(subscription)}`)
    })
  )
).pipe(Command.withDescription("List the webhooks (of one group with --group)."))

const remove = Command.make("remove", { id: Args.integer({ name: "id" }) }, ({ id }) =>
  run(
    Effect.gen(function* () {
      yield* (yield* WebhookStore).remove(id)
      yield* Console.log(`webhook ${id} removed`)
    })
  )
).pipe(Command.withDescription("Remove a webhook and its delivery log."))

/** `backline webhook add|list|remove`: the groups' outbound webhooks. */
export const webhookCommand = Command.make("webhook").pipe(
  Command.withDescription("Outbound webhooks: send a group's events to URLs."),
  Command.withSubcommands([add, list, remove])
)
