import { Effect, Either } from "effect"
import { definePlugin, type CommandIssued, type PluginContext } from "../plugins/definePlugin.ts"
import { WebhookStore, type Subscription } from "./WebhookStore.ts"

const usage = [
  "/webhook add <url> <events>: send this group's events (comma-separated) to <url>",
  "/webhook list: this group's webhooks",
  "/webhook remove <id>: remove one",
  "/webhook enable <id>: switch one on again after it was switched off",
  "Events: dialog.opened, dialog.reopened, dialog.closed, message.received, message.sent, task.changed, or a plugin's <plugin>.<fact>."
].join("\n")

/** One subscription in a line, for `/webhook list`. */
export const describeSubscription = (subscription: Subscription) =>
  `${subscription.id}: ${subscription.url} ← ${subscription.events.join(", ")}` +
  (!subscription.enabled
    ? ` (off: ${subscription.disabledReason ?? "switched off"})`
    : subscription.failingSince !== null
      ? ` (failing since ${subscription.failingSince.toISOString().slice(0, 16).replace("T", " ")} UTC)`
      : "")

const idOf = (text: string) => (/^\d+$/.test(text.trim()) ? Number(text.trim()) : undefined)

/**
 * `/webhook` for group admins: add (the signing secret goes to the admin in a private chat), list,
 * remove and switch on again the group's outbound webhooks. A system plugin, always on.
 */
export const makeWebhookCommands = Effect.gen(function* () {
  const store = yield* WebhookStore

  const add = (command: CommandIssued, rest: string, ctx: PluginContext<unknown>) =>
    Effect.gen(function* () {
      const [url = "", ...events] = rest.split(/\s+/).filter((word) => word !== "")
      if (url === "" || events.length === 0) return yield* ctx.reply(`Usage:\n${usage}`)
      const by = command.from?.id ?? 0
      const added = yield* Effect.either(
        store.add({ chatId: command.chatId, url, events: events.join(","), createdBy: `user:${by}` })
      )
      if (Either.isLeft(added)) return yield* ctx.reply(`Not added: ${added.left.message}.`)
      const { subscription, secret } = added.right
      yield* ctx.call("sendMessage", {
        chat_id: by,
        text: `The signing secret of webhook ${subscription.id} (${subscription.url}): ${secret}\nIt is shown only this once. Check each request's webhook-signature with it (Standard Webhooks).`
      })
      yield* ctx.reply(
        `Webhook ${subscription.id} sends ${subscription.events.join(", ")} to ${subscription.url}. Its signing secret was sent to you in a private chat.`
      )
    })

  return definePlugin({
    id: "webhooks",
    description: "The group's outbound webhooks: /webhook add|list|remove|enable",
    commands: [
      {
        name: "webhook",
        description: "Send this group's events to a URL: /webhook add|list|remove|enable",
        args: "add <url> <events> | list | remove <id> | enable <id>",
        adminOnly: true,
        run: (command, ctx) =>
          Effect.gen(function* () {
            const [action = "", ...words] = command.args.split(/\s+/)
            const rest = words.join(" ")
            switch (action) {
              case "add":
                return yield* add(command, rest, ctx)
              case "list": {
                const subscriptions = yield* store.list(command.chatId)
                return yield* ctx.reply(
                  subscriptions.length === 0
                    ? "This group has no webhooks. /webhook add <url> <events> adds one."
                    : `This group's webhooks:\n${subscriptions.map(describeSubscription).join("\n")}`
                )
              }
              case "remove":
              case "enable": {
                const id = idOf(rest)
                if (id === undefined) return yield* ctx.reply(`Usage: /webhook ${action} <id>`)
                const done = yield* Effect.either(
                  action === "remove" ? store.remove(id, command.chatId) : store.enable(id, command.chatId)
                )
                if (Either.isLeft(done)) return yield* ctx.reply(`This group has no webhook ${id}.`)
                return yield* ctx.reply(
                  action === "remove" ? `Webhook ${id} is removed.` : `Webhook ${id} is on again.`
                )
              }
              default:
                return yield* ctx.reply(`Usage:\n${usage}`)
            }
          })
      }
    ]
  })
})
