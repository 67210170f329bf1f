import { HttpApiBuilder } from "@effect/platform"
import { Effect, Layer } from "effect"
import type { Subscription } from "../webhooks/WebhookStore.ts"
import { WebhookStore } from "../webhooks/WebhookStore.ts"
import { BacklineApi } from "./Api.ts"
import { BadRequest, NotFound } from "./ApiErrors.ts"
import { requireScope } from "./Auth.ts"

const view = (subscription: Subscription) => ({
  id: subscription.id,
  url: subscription.url,
  events: subscription.events,
  enabled: subscription.enabled,
  failing_since: subscription.failingSince?.toISOString() ?? null,
  disabled_reason: subscription.disabledReason,
  created_at: subscription.createdAt.toISOString()
})

const notFound = (error: { readonly id: number }) =>
  Effect.fail(new NotFound({ error: `this group has no webhook ${error.id}` }))

/** The handlers of `WebhooksGroup` (src/webhooks/WebhooksGroup.ts): a group's outbound webhooks. */
export const WebhooksApiLive = Layer.suspend(() =>
  HttpApiBuilder.group(BacklineApi, "webhooks", (handlers) =>
    Effect.gen(function* () {
      const store = yield* WebhookStore
      return handlers
        .handle("listWebhooks", ({ path }) =>
          Effect.gen(function* () {
            yield* requireScope("webhooks:read", path.group)
            return { webhooks: (yield* store.list(path.group)).map(view) }
          })
        )
        .handle("createWebhook", ({ path, payload }) =>
          Effect.gen(function* () {
            const token = yield* requireScope("webhooks:write", path.group)
            const { subscription, secret } = yield* store
              .add({
                chatId: path.group,
                url: payload.url,
                events: payload.events.join(","),
                createdBy: `token:${token.id}`
              })
              .pipe(
                Effect.catchTag("SubscriptionInvalid", (invalid) =>
                  Effect.fail(new BadRequest({ error: invalid.reason, field: invalid.field }))
                )
              )
            return { webhook: view(subscription), secret }
          })
        )
        .handle("deleteWebhook", ({ path }) =>
          Effect.gen(function* () {
            yield* requireScope("webhooks:write", path.group)
            yield* store.remove(path.id, path.group).pipe(Effect.catchTag("SubscriptionNotFound", notFound))
          })
        )
        .handle("listWebhookDeliveries", ({ path }) =>
          Effect.gen(function* () {
            yield* requireScope("webhooks:read", path.group)
            const deliveries = yield* store
              .deliveries(path.id, path.group)
              .pipe(Effect.catchTag("SubscriptionNotFound", notFound))
            return {
              deliveries: deliveries.map((delivery) => ({
                id: delivery.id,
                event: delivery.event,
                status: delivery.status,
                created_at: delivery.createdAt.toISOString(),
                next_attempt_at: delivery.nextAttemptAt?.toISOString() ?? null,
                attempts: delivery.attempts.map((one) => ({
                  attempt: one.attempt,
                  at: one.at.toISOString(),
                  status_code: one.statusCode,
                  error: one.error,
                  latency_ms: one.latencyMs
                }))
              }))
            }
          })
        )
    })
  ).pipe(Layer.provide(WebhookStore.Default))
)
