import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Exit, Redacted, Scope } from "effect"
import type { TestProject } from "vitest/node"
import { startEmbeddedPostgres } from "../../src/sql/EmbeddedPostgres.ts"

declare module "vitest" {
  export interface ProvidedContext {
    /** A PostgreSQL server tests may create databases on: `DATABASE_URL`, or an embedded one. */
    readonly adminDatabaseUrl: string
  }
}

/**
 * A PostgreSQL server to create databases on: the one in `DATABASE_URL` when it is set, and
 * otherwise an embedded one in a new temporary folder (`<tmp>/<prefix>…`), stopped and removed by
 * `stop`. Benchmarks in `bench/` use it too.
 */
export const startAdminServer = async (
  prefix = "backline-test-pg-"
): Promise<{ readonly url: string; readonly stop: () => Promise<void> }> => {
  const fromEnv = process.env["DATABASE_URL"]
  if (fromEnv !== undefined && fromEnv !== "") return { url: fromEnv, stop: () => Promise.resolve() }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  fs.chmodSync(dir, 0o755)
  const scope = Effect.runSync(Scope.make())
  const server = await Effect.runPromise(startEmbeddedPostgres(dir).pipe(Scope.extend(scope)))
  return {
    url: Redacted.value(server.url),
    stop: async () => {
      await Effect.runPromise(Scope.close(scope, Exit.void))
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}

/**
 * Tests use the server in `DATABASE_URL` when it is set, and otherwise one embedded PostgreSQL
 * for the whole run, in a temporary folder. Each test file then makes its own database on it.
 */
export default async function setup(project: TestProject) {
  const server = await startAdminServer()
  project.provide("adminDatabaseUrl", server.url)
  return server.stop
}
