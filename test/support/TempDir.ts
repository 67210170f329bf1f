import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

/**
 * A new folder under the system temp folder, enterable by others (as root, the embedded
 * PostgreSQL runs as the `postgres` user and must reach it).
 */
export const makeTempDir = (prefix: string): { path: string; remove: () => void } => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `backline-${prefix}-`))
  fs.chmodSync(dir, 0o755)
  return { path: dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) }
}
