import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Either, JSONSchema } from "effect"
import { describe, expect, it } from "vitest"
import { loadManifest, Manifest, parseManifest } from "../../../src/plugins/Manifest.ts"

describe("plugins.json", () => {
  it("the repository's manifest is valid", async () => {
    const manifest = await Effect.runPromise(loadManifest(path.resolve("plugins.json")))
    expect(Array.isArray(manifest.plugins)).toBe(true)
  })

  it("accepts built-in ids, packages and default config", () => {
    const result = parseManifest(
      JSON.stringify({
        plugins: [
          { id: "announcements", config: { notice: "Admins only" } },
          { id: "crm-sync", package: "@acme/backline-crm", enabled: false }
        ]
      })
    )
    expect(Either.getOrThrow(result).plugins.map((entry) => entry.id)).toEqual(["announcements", "crm-sync"])
  })

  it.each([
    ["{", "not valid JSON"],
    [JSON.stringify({}), "plugins: is missing"],
    [
      JSON.stringify({ plugins: [{ id: "Tasks" }] }),
      "plugins.0.id: a plugin id is kebab-case, such as knowledge-base"
    ],
    [
      JSON.stringify({ plugins: [{ id: "tasks" }, { id: "tasks" }] }),
      'plugins.1.id: duplicate plugin id "tasks"'
    ],
    [JSON.stringify({ plugins: [{ id: "tasks", config: [] }] }), "plugins.0.config:"]
  ])("rejects %s naming the field", (text, message) => {
    const result = parseManifest(text)
    expect(Either.isLeft(result) && result.left).toContain(message)
  })

  it("a missing file is reported with its path", async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "backline-manifest-")), "plugins.json")
    const error = await Effect.runPromise(Effect.flip(loadManifest(file)))
    expect(error).toMatchObject({ _tag: "ManifestInvalid", file })
    expect(error.message).toContain("ENOENT")
  })
})

describe("docs/plugins.schema.json", () => {
  it("is the JSON Schema of the manifest, so editors check plugins.json as Backline does", () => {
    const committed: unknown = JSON.parse(fs.readFileSync(path.resolve("docs/plugins.schema.json"), "utf8"))
    expect(committed).toEqual(JSONSchema.make(Manifest))
  })
})
