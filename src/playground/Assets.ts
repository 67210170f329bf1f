import { existsSync } from "node:fs"
import { mkdir, mkdtemp, readFile, rename, rm } from "node:fs/promises"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")

/** Where `npm run build:web` (run by `npm install`) puts the playground's page: `dist/playground`. */
export const playgroundDir = path.join(root, "dist", "playground")

const types: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json"
}

/** A built file of the page, or undefined for a path outside it or a file that is not there. */
export const readAsset = async (
  urlPath: string
): Promise<{ readonly body: Uint8Array; readonly type: string } | undefined> => {
  const relative = urlPath === "/" ? "index.html" : decodeURIComponent(urlPath).replace(/^\/+/, "")
  const file = path.resolve(playgroundDir, relative)
  if (!file.startsWith(playgroundDir + path.sep)) return undefined
  try {
    const body = await readFile(file)
    return { body, type: types[path.extname(file)] ?? "application/octet-stream" }
  } catch {
    return undefined
  }
}

/**
 * Builds the page with Vite when it is missing (a checkout where `npm install` has not run its
 * `prepare` script). It builds into a fresh folder and moves it into place, so two processes
 * starting at once never serve a half-written page.
 */
export const ensurePlaygroundBuilt = async (): Promise<"present" | "built"> => {
  if (existsSync(path.join(playgroundDir, "index.html"))) return "present"
  const { build } = await import("vite")
  await mkdir(path.join(root, "dist"), { recursive: true })
  const staging = await mkdtemp(path.join(root, "dist", ".playground-"))
  try {
    await build({
      configFile: path.join(root, "web", "vite.config.ts"),
      logLevel: "warn",
      build: { outDir: staging, emptyOutDir: true }
    })
    if (existsSync(path.join(playgroundDir, "index.html"))) return "present"
    await rm(playgroundDir, { recursive: true, force: true })
    await rename(staging, playgroundDir)
    return "built"
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
}
