import { SqlClient } from "@effect/sql"
import { Data, Effect, Either, Option } from "effect"
import type { Place } from "./PluginContext.ts"
import { decodeConfig, layerConfig, type ConfigObject } from "./PluginConfig.ts"
import { PluginRegistry, type LoadedPlugin } from "./PluginRegistry.ts"

/** No plugin with this id is loaded. */
export class UnknownPlugin extends Data.TaggedError("UnknownPlugin")<{ readonly plugin: string }> {
  override get message() {
    return `there is no plugin "${this.plugin}"`
  }
}

/** A configuration change would leave the plugin's configuration invalid; `detail` names the key. */
export class PluginConfigInvalid extends Data.TaggedError("PluginConfigInvalid")<{
  readonly plugin: string
  readonly detail: string
}> {
  override get message() {
    return `plugin "${this.plugin}": ${this.detail}`
  }
}

/** Where an answer comes from: `plugins.json`, the group's setting or the topic's. */
export type SettingSource = "default" | "group" | "topic"

/** A plugin's settings in force in one place. */
export interface Effective {
  readonly enabled: boolean
  readonly enabledBy: SettingSource
  /** Defaults ⊕ group overrides ⊕ topic overrides, as written. */
  readonly config: ConfigObject
  /** The same, decoded with the plugin's schema, or why it does not decode. */
  readonly decoded: Either.Either<unknown, string>
}

/** One stored setting: a group's (`threadId` 0) or a topic's. */
export interface SettingRow {
  readonly plugin: string
  readonly threadId: number
  /** `null`: inherited. */
  readonly enabled: boolean | null
  readonly config: ConfigObject
}

interface Raw {
  readonly plugin_id: string
  readonly thread_id: string
  readonly enabled: boolean | null
  readonly config: ConfigObject
}

const fromRaw = (raw: Raw): SettingRow => ({
  plugin: raw.plugin_id,
  threadId: Number(raw.thread_id),
  enabled: raw.enabled,
  config: raw.config
})

/**
 * Plugins' enablement and configuration overrides per group and per topic (`plugin_setting`). In
 * force in a topic: the topic's setting, else the group's, else `plugins.json`; configuration is
 * layered key by key the same way and checked against the plugin's schema.
 */
export class PluginSettings extends Effect.Service<PluginSettings>()("app/PluginSettings", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const registry = yield* PluginRegistry

    const find = (id: string) =>
      Option.match(registry.get(id), {
        onNone: () => Effect.fail(new UnknownPlugin({ plugin: id })),
        onSome: Effect.succeed
      })

    const rows = (id: string, place: Place) =>
      sql<Raw>`
        select plugin_id, thread_id, enabled, config from plugin_setting
        where plugin_id = ${id} and chat_id = ${place.chatId} and thread_id in (0, ${place.threadId ?? 0})`.pipe(
        Effect.map((found) => found.map(fromRaw)),
        Effect.orDie
      )

    const combine = (loaded: LoadedPlugin, found: ReadonlyArray<SettingRow>): Effective => {
      const group = found.find((row) => row.threadId === 0)
      const topic = found.find((row) => row.threadId !== 0)
      const enabledBy: SettingSource =
        topic?.enabled != null ? "topic" : group?.enabled != null ? "group" : "default"
      const config = layerConfig(loaded.defaults, group?.config ?? {}, topic?.config ?? {})
      return {
        enabled: loaded.system || (topic?.enabled ?? group?.enabled ?? loaded.enabled),
        enabledBy,
        config,
        decoded: decodeConfig(loaded.plugin, config)
      }
    }

    /** The settings in force for a loaded plugin in `place` (in no group: `plugins.json`'s). */
    const resolve = (loaded: LoadedPlugin, place: Place | undefined) =>
      place === undefined
        ? Effect.succeed(combine(loaded, []))
        : Effect.map(rows(loaded.plugin.id, place), (found) => combine(loaded, found))

    /** The settings in force for the plugin `id` in `place`. */
    const effective = Effect.fn("PluginSettings.effective")(function* (id: string, place: Place) {
      return yield* resolve(yield* find(id), place)
    })

    /** Every setting stored in a group, its own and its topics', by plugin. */
    const inGroup = Effect.fn("PluginSettings.inGroup")(function* (chatId: number) {
      const found = yield* sql<Raw>`
        select plugin_id, thread_id, enabled, config from plugin_setting where chat_id = ${chatId}
        order by plugin_id, thread_id`.pipe(Effect.orDie)
      return found.map(fromRaw)
    })

    const upsert = (
      id: string,
      place: Place,
      enabled: boolean | null | undefined,
      config: ConfigObject,
      by: number | undefined
    ) =>
      sql`
        insert into plugin_setting (plugin_id, chat_id, thread_id, enabled, config, updated_by)
        values (${id}, ${place.chatId}, ${place.threadId ?? 0}, ${enabled ?? null}, ${JSON.stringify(config)}::jsonb, ${by ?? null})
        on conflict (plugin_id, chat_id, thread_id) do update set
          enabled = ${enabled === undefined ? sql`plugin_setting.enabled` : sql`excluded.enabled`},
          config = excluded.config, updated_by = excluded.updated_by, updated_at = now()`.pipe(
        Effect.asVoid,
        Effect.orDie
      )

    const stored = (id: string, place: Place) =>
      Effect.map(
        rows(id, place),
        (found) => found.find((row) => row.threadId === (place.threadId ?? 0))?.config ?? {}
      )

    /** Switches a plugin on or off in a group or a topic; `null` returns to what is inherited. */
    const setEnabled = Effect.fn("PluginSettings.setEnabled")(function* (
      id: string,
      place: Place,
      enabled: boolean | null,
      by?: number
    ) {
      yield* find(id)
      yield* upsert(id, place, enabled, yield* stored(id, place), by)
    })

    /**
     * Overrides one configuration key in a group or a topic (`value` as JSON), after checking the
     * configuration that would then be in force there.
     */
    const setConfig = Effect.fn("PluginSettings.setConfig")(function* (
      id: string,
      place: Place,
      key: string,
      value: unknown,
      by?: number
    ) {
      const loaded = yield* find(id)
      const config = { ...(yield* stored(id, place)), [key]: value }
      const found = (yield* rows(id, place)).filter((row) => row.threadId !== (place.threadId ?? 0))
      const next = combine(loaded, [
        ...found,
        { plugin: id, threadId: place.threadId ?? 0, enabled: null, config }
      ])
      if (Either.isLeft(next.decoded))
        return yield* new PluginConfigInvalid({ plugin: id, detail: next.decoded.left })
      yield* upsert(id, place, undefined, config, by)
    })

    /**
     * Like `setConfig` with a value typed in a chat: read as JSON when that is valid there
     * (`5`, `true`, `["a"]`), else as the text itself. A quoted value (`"Only admins post here"`)
     * is always that string.
     */
    const setConfigText = (id: string, place: Place, key: string, text: string, by?: number) => {
      const json = Either.try(() => JSON.parse(text) as unknown)
      const asText = setConfig(id, place, key, text, by)
      if (Either.isRight(json) && typeof json.right === "string")
        return setConfig(id, place, key, json.right, by)
      return Either.isRight(json)
        ? setConfig(id, place, key, json.right, by).pipe(
            Effect.catchTag("PluginConfigInvalid", (error) => Effect.orElse(asText, () => Effect.fail(error)))
          )
        : asText
    }

    /** Removes a group's or topic's override of one key. */
    const unsetConfig = Effect.fn("PluginSettings.unsetConfig")(function* (
      id: string,
      place: Place,
      key: string,
      by?: number
    ) {
      yield* find(id)
      const { [key]: _removed, ...config } = yield* stored(id, place)
      yield* upsert(id, place, undefined, config, by)
    })

    return { resolve, effective, inGroup, setEnabled, setConfig, setConfigText, unsetConfig } as const
  })
}) {}
