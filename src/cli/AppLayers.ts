import { Layer } from "effect"
import { AppConfig } from "../Config.ts"
import { LoggingLive } from "../Logging.ts"
import { MigrationState } from "../sql/Migrations.ts"
import { SqlLive } from "../sql/Sql.ts"

/** Configuration and logging: what every command needs before anything else. */
export const BaseLive = LoggingLive.pipe(Layer.provideMerge(AppConfig.Default))

/** The database (external or embedded) with migration state, on top of `BaseLive`. */
export const DatabaseLive = Layer.mergeAll(SqlLive, MigrationState.Default).pipe(Layer.provideMerge(BaseLive))
