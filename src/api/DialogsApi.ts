import { HttpApiBuilder } from "@effect/platform"
import { Effect, Layer } from "effect"
import { ConnectionId } from "../domain/Ids.ts"
import { BacklineApi } from "./Api.ts"
import { BadRequest, Forbidden, NotFound } from "./ApiErrors.ts"
import { callFor } from "./ApiMessages.ts"
import { ApiOutbox, messageIdsOf } from "./ApiOutbox.ts"
import { requireScope } from "./Auth.ts"
import { TopicDirectory } from "./TopicDirectory.ts"

/**
 * `POST /api/v1/dialogs/{connection}/{user}/messages`: a message to a client, sent through the
 * dialog's connection and filed under the dialog's actor (a refusal is mailed to it, so a client
 * who blocked the bot is noted as by an operator's answer), with the same message posted, silently,
 * in the dialog's topic for the team to see. Both calls are queued in one transaction.
 */
export const DialogsApiLive = HttpApiBuilder.group(BacklineApi, "dialogs", (handlers) =>
  Effect.gen(function* () {
    const directory = yield* TopicDirectory
    const outbox = yield* ApiOutbox

    return handlers.handle("postDialogMessage", ({ path, payload }) =>
      Effect.gen(function* () {
        const token = yield* requireScope("dialogs:write")
        const dialog = yield* directory.dialog(path.connection, path.user)
        if (dialog === undefined)
          return yield* new NotFound({ error: `no dialog of ${path.connection} with the user ${path.user}` })
        if (dialog.group !== token.group)
          return yield* new Forbidden({
            error: `this token is for the group ${token.group}, not this dialog's`
          })
        const actorKey = `dialog:${path.connection}:${path.user}`
        const toClient = callFor(payload, {
          connection: ConnectionId.make(path.connection),
          chatId: path.user,
          threadId: null,
          actorKey,
          cause: "api:dialogs",
          reportFailure: true
        })
        if (toClient instanceof BadRequest) return yield* toClient
        const mirror =
          dialog.group === null || dialog.thread_id === null
            ? []
            : [
                callFor(
                  { ...payload, silent: true },
                  {
                    connection: yield* outbox.connectionFor(dialog.group),
                    chatId: dialog.group,
                    threadId: dialog.thread_id,
                    cause: "api:dialogs"
                  }
                )
              ].filter((entry) => !(entry instanceof BadRequest))
        const outcome = yield* outbox.call([toClient, ...(mirror as (typeof toClient)[])])
        if (outcome._tag === "Queued") return { status: "queued" as const, outbox_ids: outcome.outboxIds }
        const ids = messageIdsOf(outcome.result)
        return { chat_id: path.user, message_thread_id: null, message_id: ids[0] ?? 0, message_ids: ids }
      })
    )
  })
).pipe(Layer.provide(Layer.mergeAll(TopicDirectory.Default, ApiOutbox.Default)))
