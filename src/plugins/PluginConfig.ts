import { Either, ParseResult, Schema } from "effect"
import type { AnyPlugin } from "./definePlugin.ts"

/** A plugin's configuration as written (JSON): `plugins.json` defaults or admins' overrides. */
export type ConfigObject = Readonly<Record<string, unknown>>

/**
 * A parse error in one line, each field under `config.` once (the first issue of a union's
 * members): `config.notice: Expected string, actual 5`.
 */
const describe = (error: ParseResult.ParseError): string => {
  const byField = new Map<string, string>()
  for (const issue of ParseResult.ArrayFormatter.formatErrorSync(error)) {
    const field = ["config", ...issue.path].join(".")
    if (!byField.has(field)) byField.set(field, issue.message)
  }
  return [...byField.entries()]
    .map(([field, message]) => `${field}: ${message}`)
    .join("; ")
    .replace(/\s+/g, " ")
}

/**
 * Decodes a configuration with the plugin's schema. A key the schema does not know is an error, so
 * a typo in `plugins.json` or in an admin's override is caught.
 */
export const decodeConfig = (plugin: AnyPlugin, config: ConfigObject): Either.Either<unknown, string> =>
  Either.mapLeft(
    Schema.decodeUnknownEither(plugin.config, { errors: "all", onExcessProperty: "error" })(config),
    describe
  )

/** Layers overrides on defaults, key by key: a key set in a later layer wins. */
export const layerConfig = (...layers: ReadonlyArray<ConfigObject>): ConfigObject =>
  Object.assign({}, ...layers) as ConfigObject
