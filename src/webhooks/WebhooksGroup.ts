import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { BadRequest, Forbidden, NotFound } from "../api/ApiErrors.ts"
import { Authorization } from "../api/Auth.ts"

const GroupId = Schema.NumberFromString.pipe(Schema.int()).annotations({
  description: "The backend group's chat id, e.g. -1001234567890"
})
const WebhookPath = Schema.Struct({
  group: GroupId,
  id: Schema.NumberFromString.pipe(Schema.int(), Schema.positive()).annotations({
    description: "The webhook's id"
  })
})

/** A subscription as the API shows it (never its secret, which only its creation answers). */
export const Webhook = Schema.Struct({
  id: Schema.Int,
  url: Schema.String,
  events: Schema.Array(Schema.String),
  enabled: Schema.Boolean,
  failing_since: Schema.NullOr(Schema.String),
  disabled_reason: Schema.NullOr(Schema.String),
  created_at: Schema.String
}).annotations({ identifier: "Webhook" })

export const NewWebhook = Schema.Struct({
  url: Schema.String.pipe(Schema.pattern(/^https?:\/\/\S+$/), Schema.maxLength(2048)).annotations({
    description: "Where to POST the events (http or https)"
  }),
  events: Schema.Array(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(100)))
    .pipe(Schema.minItems(1), Schema.maxItems(50))
    .annotations({
      description:
        "dialog.opened, dialog.reopened, dialog.closed, message.received, message.sent, task.changed, or a plugin's <plugin>.<fact>"
    })
}).annotations({ identifier: "NewWebhook" })

export const CreatedWebhook = Schema.Struct({
  webhook: Webhook,
  secret: Schema.String.annotations({ description: "The signing secret (whsec_…), answered only this once" })
}).annotations({ identifier: "CreatedWebhook" })

export const WebhookDelivery = Schema.Struct({
  id: Schema.Int,
  event: Schema.String,
  status: Schema.Literal("pending", "delivered", "failed"),
  created_at: Schema.String,
  next_attempt_at: Schema.NullOr(Schema.String),
  attempts: Schema.Array(
    Schema.Struct({
      attempt: Schema.Int,
      at: Schema.String,
      status_code: Schema.NullOr(Schema.Int),
      error: Schema.NullOr(Schema.String),
      latency_ms: Schema.Int
    })
  )
}).annotations({ identifier: "WebhookDelivery" })

/**
 * The group's outbound webhook subscriptions: list, create (answering the signing secret once),
 * delete, and each one's delivery log. Scopes `webhooks:read` and `webhooks:write`. Its handlers
 * are `WebhooksApiLive` (src/api/WebhooksApi.ts); this module holds only the endpoints, so that
 * `BacklineApi` can add them without an import cycle.
 */
export class WebhooksGroup extends HttpApiGroup.make("webhooks")
  .add(
    HttpApiEndpoint.get("listWebhooks", "/api/v1/groups/:group/webhooks")
      .setPath(Schema.Struct({ group: GroupId }))
      .addSuccess(Schema.Struct({ webhooks: Schema.Array(Webhook) }))
      .annotate(OpenApi.Description, "The group's webhook subscriptions. Scope webhooks:read.")
  )
  .add(
    HttpApiEndpoint.post("createWebhook", "/api/v1/groups/:group/webhooks")
      .setPath(Schema.Struct({ group: GroupId }))
      .setPayload(NewWebhook)
      .addSuccess(CreatedWebhook, { status: 201 })
      .annotate(
        OpenApi.Description,
        "Subscribes a URL to the group's events, signed per Standard Webhooks; answers the signing secret, only this once. Scope webhooks:write."
      )
  )
  .add(
    HttpApiEndpoint.del("deleteWebhook", "/api/v1/groups/:group/webhooks/:id")
      .setPath(WebhookPath)
      .addSuccess(HttpApiSchema.NoContent)
      .annotate(OpenApi.Description, "Removes a subscription and its delivery log. Scope webhooks:write.")
  )
  .add(
    HttpApiEndpoint.get("listWebhookDeliveries", "/api/v1/groups/:group/webhooks/:id/deliveries")
      .setPath(WebhookPath)
      .addSuccess(Schema.Struct({ deliveries: Schema.Array(WebhookDelivery) }))
      .annotate(
        OpenApi.Description,
        "The subscription's latest 50 deliveries, newest first, each with its tries (time, status code or error, latency). Scope webhooks:read."
      )
  )
  .middleware(Authorization)
  .addError(Forbidden)
  .addError(NotFound)
  .addError(BadRequest) {}
