import * as fs from "node:fs"
import { Data, Effect, Either, ParseResult, Schema } from "effect"

/**
 * One plugin a deployment loads: a built-in id (a folder in `plugins/`) or, with `package`, a
 * module specifier of an installed npm package; `config` is its default configuration.
 *
 * @example
 * { "id": "announcements", "config": { "notice": "Only admins post here" } }
 */
export const PluginEntry = Schema.Struct({
  id: Schema.String.pipe(
    Schema.pattern(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, {
      message: (issue) =>
        `a plugin id is kebab-case, such as knowledge-base, not ${JSON.stringify(issue.actual)}`
    })
  ),
  package: Schema.optional(Schema.NonEmptyString),
  enabled: Schema.optional(Schema.Boolean),
  config: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
})
export type PluginEntry = typeof PluginEntry.Type

/** The shape of `plugins.json`: the plugins to load, each id once. */
export const Manifest = Schema.Struct({
  $schema: Schema.optional(Schema.String),
  plugins: Schema.Array(PluginEntry)
}).pipe(
  Schema.filter((manifest) => {
    const seen = new Set<string>()
    for (const [index, entry] of manifest.plugins.entries()) {
      if (seen.has(entry.id)) {
        return { path: ["plugins", index, "id"], message: `duplicate plugin id "${entry.id}"` }
      }
      seen.add(entry.id)
    }
    return true
  })
)
export type Manifest = typeof Manifest.Type

/** `plugins.json` could not be read or does not match the manifest shape; `message` is one line. */
export class ManifestInvalid extends Data.TaggedError("ManifestInvalid")<{
  readonly file: string
  readonly message: string
}> {}

const oneLine = (error: ParseResult.ParseError) =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") + ": " : ""}${issue.message}`)
    .join("; ")

/** Decodes manifest text; the error names the field, e.g. `plugins.1.id: duplicate plugin id "tasks"`. */
export const parseManifest = (text: string): Either.Either<Manifest, string> => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    return Either.left(`not valid JSON: ${(error as Error).message}`)
  }
  return Either.mapLeft(Schema.decodeUnknownEither(Manifest, { errors: "all" })(json), oneLine)
}

/** Reads and checks the manifest at `file`. */
export const loadManifest = (file: string) =>
  Effect.suspend(() => {
    let text: string
    try {
      text = fs.readFileSync(file, "utf8")
    } catch (error) {
      return Effect.fail(new ManifestInvalid({ file, message: (error as Error).message }))
    }
    return Either.match(parseManifest(text), {
      onLeft: (message) => Effect.fail(new ManifestInvalid({ file, message })),
      onRight: Effect.succeed
    })
  })
