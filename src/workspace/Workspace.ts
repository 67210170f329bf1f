import { Effect, Layer } from "effect"
import { SnapshotStore } from "../actors/SnapshotStore.ts"
import { PluginRegistry, type LoadedPlugin } from "../plugins/PluginRegistry.ts"
import { PluginSettings } from "../plugins/PluginSettings.ts"
import { NoticeGroups } from "./NoticeGroups.ts"
import { makeSystemNotices } from "./SystemNotices.ts"
import { makeWorkspacePlugin } from "./WorkspacePlugin.ts"

/**
 * The workspace's system plugins over the deployment's `plugins`: `/workspace` (with its own
 * settings service over those plugins, like the admin commands) and the system notices in General.
 */
export const makeWorkspacePlugins = (plugins: ReadonlyArray<LoadedPlugin>) =>
  Effect.all([makeWorkspacePlugin(plugins), makeSystemNotices]).pipe(
    Effect.provide(
      Layer.mergeAll(
        Layer.fresh(PluginSettings.Default).pipe(Layer.provide(PluginRegistry.layer(plugins))),
        SnapshotStore.Default,
        NoticeGroups.Default
      )
    )
  )
