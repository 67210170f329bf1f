import { HttpApiBuilder } from "@effect/platform"
import { SqlClient } from "@effect/sql"
import { Effect, Layer, Option } from "effect"
import { topicMadeReply } from "../../machines/group.workspace.ts"
import { BacklineApi } from "./Api.ts"
import { BadRequest, NotFound } from "./ApiErrors.ts"
import { callFor } from "./ApiMessages.ts"
import { ApiOutbox, messageIdsOf, type Outcome } from "./ApiOutbox.ts"
import { uploadCall, uploadOf } from "./ApiUploads.ts"
import { requireScope } from "./Auth.ts"
import { TopicDirectory, type TopicView } from "./TopicDirectory.ts"

const queued = (outcome: Extract<Outcome, { _tag: "Queued" }>) => ({
  status: "queued" as const,
  outbox_ids: outcome.outboxIds
})

const threadOf = (result: unknown) => {
  const thread = (result as { message_thread_id?: unknown } | null)?.message_thread_id
  return typeof thread === "number" ? thread : undefined
}

/** The handlers of the `topics` group: list, create, read, change and post into a group's topics. */
export const TopicsApiLive = HttpApiBuilder.group(BacklineApi, "topics", (handlers) =>
  Effect.gen(function* () {
    const directory = yield* TopicDirectory
    const outbox = yield* ApiOutbox
    const sql = yield* SqlClient.SqlClient
    // Creating topics by name one at a time, so two requests naming a missing topic make one.
    const creating = yield* Effect.makeSemaphore(1)

    const topicOr404 = (group: number, ref: string) =>
      Effect.flatMap(directory.find(group, ref), (found) =>
        found === undefined
          ? Effect.fail(new NotFound({ error: `the group ${group} has no topic "${ref}"` }))
          : Effect.succeed(found)
      )

    const create = (group: number, name: string, iconColor?: number) =>
      Effect.gen(function* () {
        const connection = yield* outbox.connectionFor(group)
        const outcome = yield* outbox.call([
          {
            connection,
            chatId: group,
            method: "createForumTopic",
            params: { chat_id: group, name, ...(iconColor === undefined ? {} : { icon_color: iconColor }) },
            cause: "api:topics",
            // Telegram sends no update for the bot's own topic: its answer registers it in the group.
            actorKey: `group:${group}`,
            replyAs: topicMadeReply
          }
        ])
        return outcome
      })

    // The topic `ref` names; a missing one is created (by name) when `create` is set.
    const resolve = (group: number, ref: string, createMissing: boolean) =>
      Effect.gen(function* () {
        const found = yield* directory.find(group, ref)
        if (found !== undefined) return found.thread_id
        if (/^\d{1,15}$/.test(ref)) return Number(ref)
        if (!createMissing)
          return yield* new NotFound({ error: `the group ${group} has no topic "${ref}" (add ?create=true)` })
        return yield* creating.withPermits(1)(
          Effect.gen(function* () {
            const again = yield* directory.find(group, ref)
            if (again !== undefined) return again.thread_id
            const outcome = yield* create(group, ref.trim())
            const thread = outcome._tag === "Sent" ? threadOf(outcome.result) : undefined
            if (thread === undefined)
              return yield* new BadRequest({ error: "Telegram did not create the topic in time; try again" })
            return thread
          })
        )
      })

    return handlers
      .handle("listTopics", ({ path }) =>
        Effect.gen(function* () {
          yield* requireScope("topics:read", path.group)
          return { topics: yield* directory.list(path.group) }
        })
      )
      .handle("getTopic", ({ path }) =>
        Effect.gen(function* () {
          yield* requireScope("topics:read", path.group)
          const topic = yield* topicOr404(path.group, path.topic)
          const dialog = yield* directory.dialogOfTopic(path.group, topic.thread_id)
          return {
            ...topic,
            dialog:
              dialog === undefined
                ? null
                : {
                    connection: dialog.connection,
                    user_id: dialog.user_id,
                    status: dialog.status,
                    blocked: dialog.blocked,
                    client: dialog.client
                  }
          }
        })
      )
      .handle("createTopic", ({ path, payload }) =>
        Effect.gen(function* () {
          yield* requireScope("topics:write", path.group)
          const outcome = yield* create(path.group, payload.name, payload.icon_color)
          if (outcome._tag === "Queued") return queued(outcome)
          const thread = threadOf(outcome.result) ?? 0
          return { thread_id: thread, name: payload.name, kind: "unknown", closed: false } satisfies TopicView
        })
      )
      .handle("updateTopic", ({ path, payload }) =>
        Effect.gen(function* () {
          yield* requireScope("topics:write", path.group)
          if (payload.name === undefined && payload.closed === undefined)
            return yield* new BadRequest({ error: "nothing to change: give name or closed", field: "name" })
          const topic = yield* topicOr404(path.group, path.topic)
          const connection = yield* outbox.connectionFor(path.group)
          const call = (method: string, params: Record<string, unknown>) =>
            outbox.call([
              {
                connection,
                chatId: path.group,
                method,
                params: { chat_id: path.group, message_thread_id: topic.thread_id, ...params },
                cause: "api:topics"
              }
            ])
          if (payload.name !== undefined) {
            const outcome = yield* call("editForumTopic", { name: payload.name })
            if (outcome._tag === "Queued") return queued(outcome)
          }
          if (payload.closed !== undefined && payload.closed !== topic.closed) {
            const outcome = yield* call(payload.closed ? "closeForumTopic" : "reopenForumTopic", {})
            if (outcome._tag === "Queued") return queued(outcome)
          }
          return {
            ...topic,
            name: payload.name ?? topic.name,
            closed: payload.closed ?? topic.closed
          } satisfies TopicView
        })
      )
      .handle("postMessage", ({ path, payload, urlParams, request }) =>
        Effect.gen(function* () {
          yield* requireScope("topics:write", path.group)
          const upload = yield* uploadOf(request)
          const connection = yield* outbox.connectionFor(path.group)
          const thread = yield* resolve(path.group, path.topic, urlParams.create === "true")
          const target = { connection, chatId: path.group, threadId: thread, cause: "api:messages" }
          // A multipart request's file is stored, and sent by the Sender like any other call.
          const entry = Option.isSome(upload)
            ? yield* uploadCall(sql, upload.value, payload, target)
            : callFor(payload, target)
          if (entry instanceof BadRequest) return yield* entry
          const outcome = yield* outbox.call([entry])
          if (outcome._tag === "Queued") return queued(outcome)
          const ids = messageIdsOf(outcome.result)
          return { chat_id: path.group, message_thread_id: thread, message_id: ids[0] ?? 0, message_ids: ids }
        })
      )
  })
).pipe(Layer.provide(Layer.mergeAll(TopicDirectory.Default, ApiOutbox.Default)))
