import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { Data, Effect, Either } from "effect"
import { noticesPluginId } from "../workspace/NoticeEvents.ts"
import { workspacePluginId } from "../workspace/WorkspacePlugin.ts"
import { adminCommandMenu, adminPluginId } from "./AdminCommandParse.ts"
import { isPlugin, type AnyPlugin } from "./definePlugin.ts"
import type { Manifest, PluginEntry } from "./Manifest.ts"
import { decodeConfig } from "./PluginConfig.ts"
import { hostNamespaces } from "./PluginEvents.ts"
import type { LoadedPlugin } from "./PluginRegistry.ts"

/** Where built-in plugins live: `plugins/<id>/index.ts` at the root of Backline. */
export const builtinPluginsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../plugins")

/**
 * A `plugins.json` entry cannot be run: its plugin is unknown, cannot be imported, is not a
 * plugin, or its configuration or commands are invalid. `detail` names the field.
 */
export class PluginInvalid extends Data.TaggedError("PluginInvalid")<{
  readonly file: string
  readonly plugin: string
  readonly detail: string
}> {
  override get message() {
    return `plugin "${this.plugin}": ${this.detail}`
  }
}

const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split("\n")[0]

/** The module specifier to import for an entry, relative paths resolved from the manifest's folder. */
const specifierOf = (entry: PluginEntry, file: string, builtinDir: string): Either.Either<string, string> => {
  if (entry.package === undefined) {
    const index = path.join(builtinDir, entry.id, "index.ts")
    return fs.existsSync(index)
      ? Either.right(pathToFileURL(index).href)
      : Either.left(`id: there is no built-in plugin "${entry.id}"; a plugin from npm needs "package"`)
  }
  const spec = entry.package
  return Either.right(
    spec.startsWith(".") || path.isAbsolute(spec)
      ? pathToFileURL(path.resolve(path.dirname(file), spec)).href
      : spec
  )
}

const commandName = /^[a-z0-9_]{1,32}$/

/**
 * Ids no loaded plugin may take: Backline's own plugins (the admin commands, `/workspace`, the
 * notices in General), and the namespaces of the events plugins receive (a plugin's emitted events
 * are typed `<id>.<fact>`).
 */
const reservedIds = new Set<string>([adminPluginId, workspacePluginId, noticesPluginId, ...hostNamespaces])

/** The first problem with a plugin's commands, given the commands other plugins already took. */
const commandProblem = (plugin: AnyPlugin, taken: Map<string, string>): string | undefined => {
  for (const [i, command] of plugin.commands.entries()) {
    if (!commandName.test(command.name))
      return `commands.${i}.name: "${command.name}" is not a command name (a-z, 0-9 and _, at most 32)`
    if (command.description.length < 1 || command.description.length > 256)
      return `commands.${i}.description: must be 1 to 256 characters`
    const owner = taken.get(command.name)
    if (owner !== undefined) return `commands.${i}.name: /${command.name} is already a command of "${owner}"`
    taken.set(command.name, plugin.id)
  }
  return undefined
}

/**
 * Imports and checks every plugin `plugins.json` lists: built-in ids from `builtinDir`, packages by
 * importing their specifier; each must default-export a plugin with the entry's id, commands no
 * other plugin has, and default configuration its schema accepts.
 */
export const loadPlugins = Effect.fn("PluginLoader.load")(function* (
  manifest: Manifest,
  options: { readonly file: string; readonly builtinDir?: string }
) {
  // The admin commands are Backline's own.
  const taken = new Map<string, string>(adminCommandMenu.map((command) => [command.name, adminPluginId]))
  const loaded: Array<LoadedPlugin> = []
  for (const entry of manifest.plugins) {
    const fail = (detail: string) => new PluginInvalid({ file: options.file, plugin: entry.id, detail })
    if (reservedIds.has(entry.id)) return yield* fail(`id: "${entry.id}" is reserved by Backline`)
    const specifier = specifierOf(entry, options.file, options.builtinDir ?? builtinPluginsDir)
    if (Either.isLeft(specifier)) return yield* fail(specifier.left)
    const module = yield* Effect.tryPromise({
      try: () => import(specifier.right) as Promise<{ readonly default?: unknown }>,
      catch: (error) =>
        fail(
          entry.package === undefined
            ? `id: cannot load plugins/${entry.id}/index.ts: ${firstLine(error)}`
            : `package: cannot import "${entry.package}": ${firstLine(error)}`
        )
    })
    const field = entry.package === undefined ? "id" : "package"
    const plugin = module.default
    if (!isPlugin(plugin)) return yield* fail(`${field}: its default export is not made by definePlugin`)
    if (plugin.id !== entry.id) return yield* fail(`id: the module declares the plugin "${plugin.id}"`)
    const problem = commandProblem(plugin, taken)
    if (problem !== undefined) return yield* fail(problem)
    const defaults = entry.config ?? {}
    const decoded = decodeConfig(plugin, defaults)
    if (Either.isLeft(decoded)) return yield* fail(decoded.left)
    loaded.push({ plugin, defaults, enabled: entry.enabled ?? true, system: false })
  }
  return loaded
})
