import { Either, SchemaAST } from "effect"
import type { AnyPlugin } from "./definePlugin.ts"
import type { ConfigObject } from "./PluginConfig.ts"
import type { LoadedPlugin } from "./PluginRegistry.ts"
import type { DeadLetter } from "./PluginRetries.ts"
import type { Effective, SettingRow } from "./PluginSettings.ts"

// What the admin commands answer, as text: kept apart from the commands so they read as a list.

const onOff = (enabled: boolean) => (enabled ? "on" : "off")

const clip = (text: string, max = 200) => (text.length > max ? `${text.slice(0, max - 1)}…` : text)

/** One line per plugin: on or off in the group and in this topic, and what it does. */
export const listReply = (
  plugins: ReadonlyArray<{
    readonly loaded: LoadedPlugin
    readonly group: Effective
    readonly here: Effective
  }>
) =>
  plugins.length === 0
    ? "No plugins are loaded (plugins.json lists none)."
    : [
        "Plugins (in the group · in this topic):",
        ...plugins.map(
          ({ loaded, group, here }) =>
            `• ${loaded.plugin.id}: ${onOff(group.enabled)} · ${onOff(here.enabled)}` +
            `${here.enabledBy === "topic" ? " (set here)" : ""} — ${loaded.plugin.description}`
        ),
        "Switch one with /plugin enable|disable <id> [here]; /plugin help <id> tells more."
      ].join("\n")

/** The answer to `/plugin enable|disable <id> [here]`, noting a topic that keeps its own setting. */
export const switchReply = (plugin: string, enabled: boolean, here: boolean, inForceHere: Effective) =>
  `${plugin} is now ${onOff(enabled)} in this ${here ? "topic" : "group"}.` +
  (!here && inForceHere.enabled !== enabled ? ` This topic keeps its own setting: ${onOff(!enabled)}.` : "")

/** The keys a plugin's configuration has, as its schema declares them (encoded side). */
export const configKeys = (plugin: AnyPlugin): ReadonlyArray<string> => {
  const ast = SchemaAST.encodedAST(plugin.config.ast)
  return SchemaAST.isTypeLiteral(ast) ? ast.propertySignatures.map((signature) => String(signature.name)) : []
}

const has = (config: ConfigObject | undefined, key: string) =>
  config !== undefined && Object.hasOwn(config, key)

/**
 * The configuration in force here, one key a line, with where each value comes from: this topic,
 * the group, `plugins.json`, or the plugin's own default.
 */
export const configLines = (
  loaded: LoadedPlugin,
  effective: Effective,
  rows: ReadonlyArray<SettingRow>,
  threadId: number
): ReadonlyArray<string> => {
  const group = rows.find((row) => row.plugin === loaded.plugin.id && row.threadId === 0)?.config
  const topic = rows.find((row) => row.plugin === loaded.plugin.id && row.threadId === threadId)?.config
  const decoded = Either.getOrUndefined(effective.decoded)
  const values: Readonly<Record<string, unknown>> =
    typeof decoded === "object" && decoded !== null ? (decoded as Record<string, unknown>) : effective.config
  const keys = [...new Set([...configKeys(loaded.plugin), ...Object.keys(values)])]
  const lines = keys.map((key) => {
    const value = values[key]
    if (value === undefined) return `${key}: not set`
    const source = has(topic, key)
      ? "set for this topic"
      : has(group, key)
        ? "set for the group"
        : has(loaded.defaults, key)
          ? "plugins.json"
          : "default"
    return `${key} = ${clip(JSON.stringify(value))} (${source})`
  })
  const invalid = Either.isLeft(effective.decoded) ? [`Invalid here: ${effective.decoded.left}`] : []
  return [...invalid, ...(lines.length === 0 ? ["(it takes no configuration)"] : lines)]
}

/** The answer to `/plugin config <id>`. */
export const configReply = (plugin: string, lines: ReadonlyArray<string>) =>
  [
    `${plugin} configuration in force here:`,
    ...lines,
    `Set one for the group with /plugin config ${plugin} <key> <value>.`
  ].join("\n")

/** The answer to `/plugin config <id> <key> <value>` once it is set. */
export const configSetReply = (plugin: string, key: string, value: unknown) =>
  `${plugin}: ${key} is now ${clip(JSON.stringify(value) ?? "not set")} in this group.`

/** The answer to a configuration change the plugin's schema refuses: the key and why. */
export const configRefusedReply = (plugin: string, detail: string) => `${plugin}: ${detail}. Nothing changed.`

/** The answer to `/plugin help <id>`. */
export const helpReply = (plugin: AnyPlugin, lines: ReadonlyArray<string>) =>
  [
    `${plugin.id}: ${plugin.description}`,
    "Commands:",
    ...(plugin.commands.length === 0
      ? ["(none)"]
      : plugin.commands.map(
          (command) =>
            `/${command.name}${command.args === undefined ? "" : ` ${command.args}`}` +
            `${command.adminOnly === true ? " (admins)" : ""} — ${command.description}`
        )),
    "Configuration in force here:",
    ...lines
  ].join("\n")

const when = (date: Date) => `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`

/** The answer to `/plugin errors <id>`: the dead deliveries in this group, newest first. */
export const errorsReply = (plugin: string, dead: ReadonlyArray<DeadLetter>) =>
  dead.length === 0
    ? `${plugin} has no failed deliveries in this group.`
    : [
        `${plugin}: ${dead.length} failed ${dead.length === 1 ? "delivery" : "deliveries"} in this group, newest first:`,
        ...dead.map(
          (letter, i) =>
            `${i + 1}. ${letter.type} of ${letter.actorKey}, ${letter.attempts} attempts, last ${when(letter.failedAt)}: ` +
            clip(letter.error)
        ),
        "Retry sends them to the plugin again."
      ].join("\n")

/** A plugin id that names no plugin an admin can manage. */
export const unknownPluginReply = (plugin: string) => `There is no plugin "${plugin}". /plugins lists them.`

/** The refusal of a Retry press by someone who is not an admin. */
export const retryRefused = "Only the group's admins can retry."

/** The answer to a Retry press: how many deliveries go again. */
export const retriedReply = (plugin: string, count: number) =>
  count === 0
    ? `${plugin} has no failed deliveries to retry.`
    : `Retrying ${count} ${count === 1 ? "delivery" : "deliveries"} of ${plugin}.`
