/** The id of the plugin that holds the admin commands: Backline's own, always on, never listed. */
export const adminPluginId = "plugin-admin"

/** The admin commands' names and menu entries (Telegram shows them to chat administrators). */
export const adminCommandMenu = [
  { name: "plugins", description: "List the plugins and whether each is on here" },
  {
    name: "plugin",
    description: "Enable, disable, configure or inspect a plugin",
    args: "enable|disable <id> [here] · config <id> [<key> <value>] · help <id> · errors <id>"
  }
] as const

/** What `/plugins` or `/plugin …` asks for, or what is wrong with it (`Usage`). */
export type AdminRequest =
  | { readonly _tag: "List" }
  | { readonly _tag: "Switch"; readonly plugin: string; readonly enabled: boolean; readonly here: boolean }
  | { readonly _tag: "ShowConfig"; readonly plugin: string }
  | { readonly _tag: "SetConfig"; readonly plugin: string; readonly key: string; readonly value: string }
  | { readonly _tag: "Help"; readonly plugin: string }
  | { readonly _tag: "Errors"; readonly plugin: string }
  | { readonly _tag: "Usage"; readonly problem: string }

/** How to write every admin command, for a wrong one. */
export const usage = [
  "/plugins: the plugins, on or off in the group and in this topic",
  "/plugin enable <id> [here]: switch a plugin on in the group (here: in this topic)",
  "/plugin disable <id> [here]: switch it off in the group (here: in this topic)",
  "/plugin config <id> [<key> <value>]: show its configuration, or set one key for the group",
  "/plugin help <id>: what it does, its commands and configuration",
  "/plugin errors <id>: the events it failed to handle, to retry"
].join("\n")

const pluginId = /^[a-z0-9]+(?:-[a-z0-9]+)*$/
const configKey = /^[A-Za-z_$][\w$]*$/

const wrong = (problem: string): AdminRequest => ({ _tag: "Usage", problem })

/**
 * Reads the arguments of `/plugin` (`"enable announcements here"`, `"config tally label posts"`).
 * The plugin id is lower-cased; a configuration value is the rest of the text after the key, as
 * written (JSON or plain text, checked against the plugin's schema when it is set).
 */
export const parsePluginCommand = (args: string): AdminRequest => {
  const text = args.trim()
  const [verb = "", rawId, ...rest] = text.split(/\s+/)
  const action = verb.toLowerCase()
  if (text === "") return wrong("/plugin needs an action.")
  const known = ["enable", "disable", "config", "help", "errors"]
  if (!known.includes(action)) return wrong(`"${verb}" is not a /plugin action.`)
  if (rawId === undefined) return wrong(`/plugin ${action} needs a plugin id.`)
  const plugin = rawId.toLowerCase()
  if (!pluginId.test(plugin)) return wrong(`"${rawId}" is not a plugin id.`)
  switch (action) {
    case "enable":
    case "disable": {
      const here = rest.length === 1 && rest[0]!.toLowerCase() === "here"
      if (rest.length > 0 && !here)
        return wrong(`/plugin ${action} takes a plugin id and, for this topic only, "here".`)
      return { _tag: "Switch", plugin, enabled: action === "enable", here }
    }
    case "config": {
      if (rest.length === 0) return { _tag: "ShowConfig", plugin }
      const key = rest[0]!
      if (!configKey.test(key)) return wrong(`"${key}" is not a configuration key.`)
      // The value keeps its own spacing: everything after the key.
      const value = /^\S+\s+\S+\s+\S+([\s\S]*)$/.exec(text)?.[1]?.trim() ?? ""
      if (value === "") return wrong(`/plugin config ${plugin} ${key} needs a value.`)
      return { _tag: "SetConfig", plugin, key, value }
    }
    default:
      if (rest.length > 0) return wrong(`/plugin ${action} takes only a plugin id.`)
      return action === "help" ? { _tag: "Help", plugin } : { _tag: "Errors", plugin }
  }
}

const retryPrefix = `${adminPluginId}:retry:`

/** The `callback_data` of the Retry button under `/plugin errors <id>` (at most 64 bytes, or none). */
export const retryButtonData = (plugin: string): string | undefined => {
  const data = `${retryPrefix}${plugin}`
  return Buffer.byteLength(data) <= 64 ? data : undefined
}

/** The plugin a Retry button is for, if `data` is one. */
export const retryButtonPlugin = (data: string | null): string | undefined =>
  data?.startsWith(retryPrefix) === true ? data.slice(retryPrefix.length) : undefined
