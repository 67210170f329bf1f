import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { BadRequest, Conflict, Forbidden, NotFound, TelegramRefused } from "./ApiErrors.ts"
import { Authorization } from "./Auth.ts"
import { CalendarGroup } from "../assistants/CalendarFeed.ts"
import { WebhooksGroup } from "../webhooks/WebhooksGroup.ts"

const Int = Schema.Int
const GroupId = Schema.NumberFromString.pipe(Schema.int()).annotations({
  description: "The backend group's chat id, e.g. -1001234567890"
})
const TopicRef = Schema.String.pipe(Schema.minLength(1), Schema.maxLength(128)).annotations({
  description: "A topic's thread id (digits) or its name (case-insensitive)"
})

export const GroupPath = Schema.Struct({ group: GroupId })
export const TopicPath = Schema.Struct({ group: GroupId, topic: TopicRef })

const ParseMode = Schema.Literal("HTML", "MarkdownV2", "Markdown")

const UrlButton = Schema.Struct({
  text: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(64)),
  url: Schema.String.pipe(Schema.pattern(/^(https?|tg):\/\/\S+$/), Schema.maxLength(2048))
})
const CallbackButton = Schema.Struct({
  text: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(64)),
  callback_data: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(64))
})
const Button = Schema.Union(UrlButton, CallbackButton)

const Attachment = Schema.Struct({
  type: Schema.Literal("photo", "document", "video", "audio", "animation"),
  url: Schema.String.pipe(Schema.pattern(/^https?:\/\/\S+$/), Schema.maxLength(2048))
})

/** What to post: a text, formatted or not, with buttons and attachments (by URL). */
export const MessageBody = Schema.Struct({
  text: Schema.optional(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(4096))),
  parse_mode: Schema.optional(ParseMode),
  buttons: Schema.optional(
    Schema.Array(Schema.Array(Button).pipe(Schema.minItems(1), Schema.maxItems(8))).pipe(
      Schema.minItems(1),
      Schema.maxItems(20)
    )
  ).annotations({ description: "Inline keyboard rows: URL buttons, or callback buttons" }),
  attachments: Schema.optional(Schema.Array(Attachment).pipe(Schema.minItems(1), Schema.maxItems(10))),
  silent: Schema.optional(Schema.Boolean).annotations({ description: "Send without a notification" })
}).annotations({ identifier: "MessageBody" })
export type MessageBody = typeof MessageBody.Type

/** A message Telegram accepted. */
export const SentMessage = Schema.Struct({
  chat_id: Int,
  message_thread_id: Schema.NullOr(Int),
  message_id: Int,
  message_ids: Schema.Array(Int)
}).annotations({ identifier: "SentMessage" })

/** Queued, but Telegram had not answered within the wait: the message will still be sent. */
export const Queued = Schema.Struct({
  status: Schema.Literal("queued"),
  outbox_ids: Schema.Array(Int)
}).annotations({ identifier: "Queued", ...HttpApiSchema.annotations({ status: 202 }) })

export const Topic = Schema.Struct({
  thread_id: Int,
  name: Schema.NullOr(Schema.String),
  kind: Schema.String,
  closed: Schema.Boolean
}).annotations({ identifier: "Topic" })

export const TopicInfo = Schema.Struct({
  ...Topic.fields,
  dialog: Schema.NullOr(
    Schema.Struct({
      connection: Schema.String,
      user_id: Int,
      status: Schema.String,
      blocked: Schema.Boolean,
      client: Schema.NullOr(
        Schema.Struct({
          id: Int,
          first_name: Schema.String,
          last_name: Schema.optional(Schema.String),
          username: Schema.optional(Schema.String)
        })
      )
    })
  )
}).annotations({ identifier: "TopicInfo" })

const TopicName = Schema.String.pipe(Schema.minLength(1), Schema.maxLength(128))
const IconColor = Schema.Literal(7322096, 16766590, 13338331, 9367192, 16749490, 16478047)

export const CreateTopic = Schema.Struct({
  name: TopicName,
  icon_color: Schema.optional(IconColor)
}).annotations({ identifier: "CreateTopic" })

export const UpdateTopic = Schema.Struct({
  name: Schema.optional(TopicName),
  closed: Schema.optional(Schema.Boolean).annotations({ description: "true closes, false reopens" })
}).annotations({ identifier: "UpdateTopic" })

export const StoredEvent = Schema.Struct({
  eventId: Schema.String,
  receivedAt: Schema.String,
  duplicate: Schema.Boolean
}).annotations({ identifier: "StoredEvent", ...HttpApiSchema.annotations({ status: 202 }) })

const Source = Schema.String.pipe(Schema.pattern(/^[a-z0-9][a-z0-9._-]{0,63}$/)).annotations({
  description: "Who sends the event: lowercase letters, digits, '.', '_', '-' (e.g. payments)"
})

export class TopicsGroup extends HttpApiGroup.make("topics")
  .add(
    HttpApiEndpoint.get("listTopics", "/api/v1/groups/:group/topics")
      .setPath(GroupPath)
      .addSuccess(Schema.Struct({ topics: Schema.Array(Topic) }))
      .annotate(OpenApi.Description, "The group's forum topics as Backline knows them. Scope topics:read.")
  )
  .add(
    HttpApiEndpoint.post("createTopic", "/api/v1/groups/:group/topics")
      .setPath(GroupPath)
      .setPayload(CreateTopic)
      .addSuccess(Topic, { status: 201 })
      .addSuccess(Queued)
      .annotate(OpenApi.Description, "Creates a forum topic. Scope topics:write.")
  )
  .add(
    HttpApiEndpoint.get("getTopic", "/api/v1/groups/:group/topics/:topic")
      .setPath(TopicPath)
      .addSuccess(TopicInfo)
      .annotate(
        OpenApi.Description,
        "A topic and, for a client's dialog, its client and status. Scope topics:read."
      )
  )
  .add(
    HttpApiEndpoint.patch("updateTopic", "/api/v1/groups/:group/topics/:topic")
      .setPath(TopicPath)
      .setPayload(UpdateTopic)
      .addSuccess(Topic)
      .addSuccess(Queued)
      .annotate(OpenApi.Description, "Renames, closes or reopens a topic. Scope topics:write.")
  )
  .add(
    HttpApiEndpoint.post("postMessage", "/api/v1/groups/:group/topics/:topic/messages")
      .setPath(TopicPath)
      .setUrlParams(
        Schema.Struct({
          create: Schema.optional(Schema.Literal("true", "false")).annotations({
            description: "true: create the topic (by name) if the group has none of that name"
          })
        })
      )
      .setPayload(MessageBody)
      .addSuccess(SentMessage)
      .addSuccess(Queued)
      .annotate(
        OpenApi.Description,
        "Posts into a topic, by thread id or name; answers Telegram's message id. Scope topics:write. " +
          "A file of your own goes as multipart/form-data (up to 20 MB): the part file, and the fields " +
          "type (document, photo, video, audio, animation), text (its caption) and parse_mode."
      )
  )
  .middleware(Authorization)
  .addError(Forbidden)
  .addError(NotFound)
  .addError(BadRequest)
  .addError(TelegramRefused) {}

export class DialogsGroup extends HttpApiGroup.make("dialogs")
  .add(
    HttpApiEndpoint.post("postDialogMessage", "/api/v1/dialogs/:connection/:user/messages")
      .setPath(
        Schema.Struct({
          connection: Schema.String.pipe(Schema.pattern(/^(bot|account):\d{1,20}$/)).annotations({
            description: "The connection the client writes to, e.g. bot:7000000001"
          }),
          user: Schema.NumberFromString.pipe(Schema.int(), Schema.positive())
        })
      )
      .setPayload(MessageBody)
      .addSuccess(SentMessage)
      .addSuccess(Queued)
      .annotate(
        OpenApi.Description,
        "Sends to a client through its dialog; the message also appears in the dialog's topic. Scope dialogs:write."
      )
  )
  .middleware(Authorization)
  .addError(Forbidden)
  .addError(NotFound)
  .addError(BadRequest)
  .addError(TelegramRefused) {}

export class EventsGroup extends HttpApiGroup.make("events")
  .add(
    HttpApiEndpoint.post("postEvent", "/api/v1/events/:source")
      .setPath(Schema.Struct({ source: Source }))
      .setHeaders(
        Schema.Struct({
          "idempotency-key": Schema.optional(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(255)))
        })
      )
      .setPayload(Schema.Unknown.annotations({ description: "Any JSON, up to 1 MB" }))
      .addSuccess(StoredEvent)
      .annotate(
        OpenApi.Description,
        "Stores an external event for the plugins of the token's group (api.eventReceived). Scope events:write."
      )
  )
  .middleware(Authorization)
  .addError(Forbidden)
  .addError(BadRequest)
  .addError(Conflict) {}

/** Backline's HTTP API; its OpenAPI document is served at `/openapi.json`. */
export class BacklineApi extends HttpApi.make("backline")
  .add(TopicsGroup)
  .add(DialogsGroup)
  .add(EventsGroup)
  // Other modules' endpoints: their groups are added here, their handlers in ApiRoutes.ts.
  .add(CalendarGroup)
  .add(WebhooksGroup)
  .annotate(OpenApi.Title, "Backline API")
  .annotate(OpenApi.Version, "1")
  .annotate(
    OpenApi.Description,
    "Post into a Telegram backend group's topics, message clients, and send events to plugins. " +
      "Authenticate with `Authorization: Bearer bkl_…` (backline token create)."
  ) {}
