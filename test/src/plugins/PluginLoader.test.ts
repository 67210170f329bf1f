import * as fs from "node:fs"
import * as path from "node:path"
import { Effect, Either } from "effect"
import { describe, expect, it } from "vitest"
import { describeFailure } from "../../../src/cli/StartupFailure.ts"
import { parseManifest, type Manifest } from "../../../src/plugins/Manifest.ts"
import { loadPlugins } from "../../../src/plugins/PluginLoader.ts"
import { runBackline } from "../../support/Backline.ts"
import { makeTempDir } from "../../support/TempDir.ts"

const builtinDir = path.resolve("test/plugins")
const file = path.resolve("test/src/plugins/fixtures/plugins.json")

const manifest = (plugins: Manifest["plugins"]): Manifest => ({ plugins })

/** The one line `backline start` prints for a manifest, or the ids it loads. */
const load = (plugins: Manifest["plugins"]) =>
  Effect.runPromise(
    loadPlugins(manifest(plugins), { file, builtinDir }).pipe(
      Effect.match({
        onFailure: (error) => describeFailure(error),
        onSuccess: (loaded) => loaded.map((entry) => [entry.plugin.id, entry.enabled, entry.defaults])
      })
    )
  )

describe("loading the plugins plugins.json lists", () => {
  it("imports built-in ids from the plugins folder and packages by specifier, with their defaults", async () => {
    expect(
      await load([
        { id: "tally", enabled: false, config: { label: "posts" } },
        { id: "hello", package: "./hello.ts" }
      ])
    ).toEqual([
      ["tally", false, { label: "posts" }],
      ["hello", true, {}]
    ])
  })

  it.each([
    [
      "an unknown id",
      [{ id: "nope" }],
      `plugin "nope": id: there is no built-in plugin "nope"; a plugin from npm needs "package"`
    ],
    [
      "an invalid configuration",
      [{ id: "tally", config: { label: 5 } }],
      `plugin "tally": config.label: Expected string, actual 5`
    ],
    [
      "an unknown configuration key",
      [{ id: "tally", config: { lable: "posts" } }],
      `plugin "tally": config.lable: is unexpected, expected: "label"`
    ],
    [
      "a package that is not installed",
      [{ id: "crm-sync", package: "@acme/backline-crm" }],
      `plugin "crm-sync": package: cannot import "@acme/backline-crm": `
    ],
    [
      "a package whose plugin has another id",
      [{ id: "impostor", package: "./impostor.ts" }],
      `plugin "impostor": id: the module declares the plugin "tally"`
    ],
    [
      "a package that is no plugin",
      [{ id: "plain", package: "./plain.ts" }],
      `plugin "plain": package: its default export is not made by definePlugin`
    ],
    [
      "a command another plugin has",
      [{ id: "tally" }, { id: "clash", package: "./clash.ts" }],
      `plugin "clash": commands.0.name: /tally is already a command of "tally"`
    ],
    [
      "the name of an admin command",
      [{ id: "usurper", package: "./usurper.ts" }],
      `plugin "usurper": commands.0.name: /plugin is already a command of "plugin-admin"`
    ],
    [
      "the id of Backline's own plugin",
      [{ id: "plugin-admin", package: "./hello.ts" }],
      `plugin "plugin-admin": id: "plugin-admin" is reserved by Backline`
    ],
    [
      "the id of the /workspace system plugin",
      [{ id: "workspace", package: "./hello.ts" }],
      `plugin "workspace": id: "workspace" is reserved by Backline`
    ],
    [
      "the id of the system notices plugin",
      [{ id: "system-notices", package: "./hello.ts" }],
      `plugin "system-notices": id: "system-notices" is reserved by Backline`
    ],
    [
      "an id that is a namespace of events",
      [{ id: "timer", package: "./hello.ts" }],
      `plugin "timer": id: "timer" is reserved by Backline`
    ]
  ])("refuses %s in one line naming the plugin and the field", async (_case, plugins, line) => {
    const described = await load(plugins)
    if (typeof described !== "string") throw new Error(`loaded: ${JSON.stringify(described)}`)
    expect(described).toContain(`${file}: ${line}`)
    expect(described.split("\n")).toHaveLength(1)
  })

  it("a duplicate id is refused by the manifest itself", () => {
    const parsed = parseManifest(JSON.stringify({ plugins: [{ id: "tally" }, { id: "tally" }] }))
    expect(Either.isLeft(parsed) && parsed.left).toBe('plugins.1.id: duplicate plugin id "tally"')
  })

  it("backline start stops before starting anything, with the one line", async () => {
    const dir = makeTempDir("plugins")
    try {
      const tally = path.resolve("test/plugins/tally/index.ts")
      const manifestFile = path.join(dir.path, "plugins.json")
      fs.writeFileSync(
        manifestFile,
        JSON.stringify({ plugins: [{ id: "tally", package: tally, config: { label: 5 } }] })
      )
      const { code, stdout, stderr } = await runBackline(["start"], { HTTP_PORT: "0" }, dir.path)
      expect(code).toBe(1)
      expect(stdout).toBe("")
      expect(stderr.trimEnd().split("\n")).toEqual([
        `backline: ${manifestFile}: plugin "tally": config.label: Expected string, actual 5`
      ])
      expect(fs.existsSync(path.join(dir.path, ".backline"))).toBe(false) // no database was started
    } finally {
      dir.remove()
    }
  })
})

describe("backline start with an invalid plugins.json", () => {
  it.each<[string, string, string | RegExp]>([
    ["text that is not JSON", '{ "plugins": [', /^not valid JSON: Unexpected end of JSON input$/],
    [
      "plugins that are not a list",
      JSON.stringify({ plugins: {} }),
      /^plugins: Expected ReadonlyArray<.*, actual \{\}$/
    ],
    [
      "an entry without an id",
      JSON.stringify({ plugins: [{ package: "./crm.ts" }] }),
      "plugins.0.id: is missing"
    ],
    [
      "an id that is not kebab-case",
      JSON.stringify({ plugins: [{ id: "Crm_Sync" }] }),
      'plugins.0.id: a plugin id is kebab-case, such as knowledge-base, not "Crm_Sync"'
    ],
    [
      "an unknown built-in id",
      JSON.stringify({ plugins: [{ id: "notes" }] }),
      'plugin "notes": id: there is no built-in plugin "notes"; a plugin from npm needs "package"'
    ],
    [
      "a duplicate id",
      JSON.stringify({ plugins: [{ id: "announcements" }, { id: "announcements" }] }),
      'plugins.1.id: duplicate plugin id "announcements"'
    ],
    [
      "an invalid configuration value",
      JSON.stringify({ plugins: [{ id: "announcements", config: { pin: "sometimes" } }] }),
      'plugin "announcements": config.pin: Expected boolean, actual "sometimes"'
    ],
    [
      "an unknown configuration key",
      JSON.stringify({ plugins: [{ id: "announcements", config: { notise: "Admins only" } }] }),
      'plugin "announcements": config.notise: is unexpected, expected: "topic" | "notice" | "pin"'
    ],
    [
      "a package that cannot be imported",
      JSON.stringify({ plugins: [{ id: "crm-sync", package: "@acme/backline-crm" }] }),
      /^plugin "crm-sync": package: cannot import "@acme\/backline-crm": Cannot find package '@acme\/backline-crm'/
    ]
  ])("%s: exits 1 with one line naming the field, before the database", async (_case, text, detail) => {
    const dir = makeTempDir("manifest")
    try {
      const manifestFile = path.join(dir.path, "plugins.json")
      fs.writeFileSync(manifestFile, text)
      const { code, stdout, stderr } = await runBackline(["start"], { HTTP_PORT: "0" }, dir.path)
      expect(code).toBe(1)
      expect(stdout).toBe("") // not even "migrations: …"
      const lines = stderr.trimEnd().split("\n")
      expect(lines).toHaveLength(1)
      const prefix = `backline: ${manifestFile}: `
      expect(lines[0]!.startsWith(prefix), lines[0]).toBe(true)
      const rest = lines[0]!.slice(prefix.length)
      if (typeof detail === "string") expect(rest).toBe(detail)
      else expect(rest).toMatch(detail)
      expect(fs.readdirSync(dir.path)).toEqual(["plugins.json"]) // no .backline: no database was started
    } finally {
      dir.remove()
    }
  })
})
