import { FetchHttpClient } from "@effect/platform"
import { Effect, Layer } from "effect"
import { TopicDirectory } from "../api/TopicDirectory.ts"
import { CustomCommandStore } from "../commands/CustomCommandStore.ts"
import { makeCustomCommands } from "../commands/CustomCommands.ts"
import type { LoadedPlugin } from "../plugins/PluginRegistry.ts"
import { makeWebhookCommands } from "./WebhookCommands.ts"
import { WebhookStore } from "./WebhookStore.ts"
import { WebhookWorker } from "./WebhookWorker.ts"

const system = (plugin: LoadedPlugin["plugin"]): LoadedPlugin => ({
  plugin,
  defaults: {},
  enabled: true,
  system: true
})

/**
 * `plugins` and, after them, the system plugins of this module: `/webhook` and the custom commands
 * (`/cmd`), which refuse to shadow the commands of `plugins`.
 */
export const withWebhookPlugins = (plugins: ReadonlyArray<LoadedPlugin>) =>
  Effect.gen(function* () {
    const webhooks = yield* makeWebhookCommands
    const custom = yield* makeCustomCommands([...plugins, system(webhooks)])
    return [...plugins, system(webhooks), system(custom)]
  }).pipe(
    Effect.provide(
      Layer.mergeAll(
        WebhookStore.Default,
        CustomCommandStore.Default,
        TopicDirectory.Default,
        FetchHttpClient.layer
      )
    )
  )

/** The outbound webhooks' worker (journal → deliveries → receivers), over `fetch`. */
export const WebhooksLive = WebhookWorker.Default.pipe(Layer.provide(FetchHttpClient.layer))
