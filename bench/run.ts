// `npm run bench -- <name>` runs bench/<name>.ts. Each benchmark prints its figures, a ratio
// against a baseline measured in the same run, and ends with one line of JSON.
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const dir = path.dirname(fileURLToPath(import.meta.url))
const available = fs
  .readdirSync(dir)
  .filter((file) => file.endsWith(".ts") && file !== "run.ts")
  .map((file) => file.slice(0, -3))
const name = process.argv[2]
if (name === undefined || !available.includes(name)) {
  process.stderr.write(`usage: npm run bench -- <name>; one of: ${available.join(", ") || "(none yet)"}\n`)
  process.exit(2)
}
await import(path.join(dir, `${name}.ts`))
