import { Context, Layer, Option } from "effect"
import type { AnyPlugin } from "./definePlugin.ts"
import type { ConfigObject } from "./PluginConfig.ts"

/** One plugin a deployment runs, as `plugins.json` lists it. */
export interface LoadedPlugin {
  readonly plugin: AnyPlugin
  /** Its default configuration as written in `plugins.json` (checked against its schema). */
  readonly defaults: ConfigObject
  /** Whether it is on where no admin said otherwise (`plugins.json` `enabled`, default true). */
  readonly enabled: boolean
  /**
   * A plugin of Backline itself (such as the admin commands): on everywhere, not listed to admins,
   * and not switched off by settings.
   */
  readonly system: boolean
}

/** The plugins this process runs, in `plugins.json` order. */
export class PluginRegistry extends Context.Tag("app/PluginRegistry")<
  PluginRegistry,
  {
    readonly plugins: ReadonlyArray<LoadedPlugin>
    readonly get: (id: string) => Option.Option<LoadedPlugin>
  }
>() {
  /** A registry of `plugins`. */
  static readonly layer = (plugins: ReadonlyArray<LoadedPlugin>) =>
    Layer.succeed(PluginRegistry, {
      plugins,
      get: (id) => Option.fromNullable(plugins.find((loaded) => loaded.plugin.id === id))
    })
}
