import { HttpApiBuilder, HttpApiSwagger } from "@effect/platform"
import { Effect, Layer } from "effect"
import { AppRouter } from "../http/Http.ts"
import { BacklineApi } from "./Api.ts"
import { apiGuard } from "./ApiGuard.ts"
import { AuthorizationLive } from "./Auth.ts"
import { CalendarApiLive } from "./CalendarApi.ts"
import { DialogsApiLive } from "./DialogsApi.ts"
import { EventsApiLive } from "./EventsApi.ts"
import { TopicsApiLive } from "./TopicsApi.ts"
import { WebhooksApiLive } from "./WebhooksApi.ts"

/** Every group of `BacklineApi` with its handlers (another module's group: add its layer here). */
const ApiLive = HttpApiBuilder.api(BacklineApi).pipe(
  Layer.provide(
    Layer.mergeAll(TopicsApiLive, DialogsApiLive, EventsApiLive, CalendarApiLive, WebhooksApiLive)
  ),
  Layer.provide(AuthorizationLive)
)

/**
 * The HTTP API on Backline's server: `/api/v1/…`, its OpenAPI document at `/openapi.json` and
 * browsable docs at `/docs` (Swagger UI, its script and styles served inline: nothing is loaded
 * from elsewhere). Every answer goes through `apiGuard`.
 */
export const ApiRoutes = AppRouter.use((router) =>
  Effect.gen(function* () {
    const app = apiGuard(yield* HttpApiBuilder.httpApp)
    yield* router.all("/api/*", app)
    yield* router.all("/api/", app)
    yield* router.get("/openapi.json", app)
    yield* router.get("/docs", app)
  })
).pipe(
  Layer.provide(
    Layer.mergeAll(
      HttpApiSwagger.layer({ path: "/docs" }),
      HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" })
    )
  ),
  Layer.provide(ApiLive),
  Layer.provide(Layer.mergeAll(HttpApiBuilder.Router.Live, HttpApiBuilder.Middleware.layer))
)
