import { fileURLToPath } from "node:url"
import { defineConfig } from "vite"

// The playground's page: plain Preact (JSX through esbuild, no plugin), bundled into
// dist/playground, which Backline serves at / when it runs on the sandbox.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  publicDir: false,
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: fileURLToPath(new URL("../dist/playground", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false
  }
})
