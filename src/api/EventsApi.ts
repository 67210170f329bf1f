import { HttpApiBuilder, HttpServerRequest } from "@effect/platform"
import { Effect, Layer } from "effect"
import { BacklineApi } from "./Api.ts"
import { BadRequest, Conflict } from "./ApiErrors.ts"
import { requireScope } from "./Auth.ts"
import { Events } from "./Events.ts"

/** `POST /api/v1/events/{source}`: stored, journalled for the plugins, then 202. */
export const EventsApiLive = HttpApiBuilder.group(BacklineApi, "events", (handlers) =>
  Effect.gen(function* () {
    const events = yield* Events
    return handlers.handle("postEvent", ({ path, payload, headers }) =>
      Effect.gen(function* () {
        const token = yield* requireScope("events:write")
        const request = yield* HttpServerRequest.HttpServerRequest
        const type = request.headers["content-type"] ?? "application/json"
        if (!type.toLowerCase().includes("json"))
          return yield* new BadRequest({
            error: "the body must be JSON (Content-Type: application/json)",
            field: "body"
          })
        return yield* events
          .store({
            group: token.group,
            source: path.source,
            tokenId: token.id,
            idempotencyKey: headers["idempotency-key"],
            body: payload
          })
          .pipe(
            Effect.catchTag("IdempotencyKeyReused", (reused) =>
              Effect.fail(
                new Conflict({ error: `Idempotency-Key "${reused.key}" was used for another request` })
              )
            )
          )
      })
    )
  })
).pipe(Layer.provide(Events.Default))
