import { ValidationError } from "@effect/cli"
import { Migrator, SqlError } from "@effect/sql"
import { Cause, ConfigError, Option } from "effect"
import { describeConfigError } from "../Config.ts"
import { HttpListenFailed } from "../http/Http.ts"
import { ManifestInvalid } from "../plugins/Manifest.ts"
import { PluginInvalid } from "../plugins/PluginLoader.ts"
import { DataDirInUse } from "../sql/DataDirLock.ts"
import { EmbeddedPostgresFailed } from "../sql/EmbeddedPostgresFailed.ts"
import { DatabaseUnreachable } from "../sql/Sql.ts"

/**
 * The one line an operator sees when Backline cannot start, or `undefined` for a failure that
 * is a bug (its full cause is printed instead). CLI usage errors answer `""`: @effect/cli has
 * printed them already.
 */
export const describeFailure = (error: unknown): string | undefined => {
  if (ConfigError.isConfigError(error)) return `invalid configuration: ${describeConfigError(error)}`
  if (ValidationError.isValidationError(error)) return ""
  if (error instanceof DataDirInUse) {
    return `the data folder ${error.dir} is in use by another Backline (pid ${error.pid}); stop that one first or set BACKLINE_DATA_DIR to another folder`
  }
  if (error instanceof EmbeddedPostgresFailed) return `embedded PostgreSQL: ${error.message}`
  if (error instanceof DatabaseUnreachable)
    return `cannot reach PostgreSQL at ${error.target}: ${error.reason}`
  if (error instanceof HttpListenFailed)
    return `cannot listen on ${error.host}:${error.port}: ${error.reason}`
  if (error instanceof ManifestInvalid || error instanceof PluginInvalid)
    return `${error.file}: ${error.message}`
  if (error instanceof Migrator.MigrationError) return `database migration failed: ${error.message}`
  if (error instanceof SqlError.SqlError) return `database error: ${error.message}`
  return undefined
}

/** The line for a failed run's cause, when its failure is one `describeFailure` knows. */
export const describeCause = (cause: Cause.Cause<unknown>): string | undefined =>
  Option.match(Cause.failureOption(cause), { onNone: () => undefined, onSome: describeFailure })
