import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import packageJson from "../../../package.json" with { type: "json" }
import { migrations } from "../../../src/sql/Migrations.ts"
import { BacklineProcess, runBackline } from "../../support/Backline.ts"
import { createTestDatabase } from "../../support/Database.ts"
import { makeTempDir } from "../../support/TempDir.ts"

describe("backline start", () => {
  let database: { url: string; drop: () => Promise<void> }
  beforeAll(async () => {
    database = await createTestDatabase()
  })
  afterAll(() => database.drop())

  it("migrates, prints its address, answers /healthz and /readyz, and exits 0 on SIGINT and SIGTERM", async () => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      const backline = new BacklineProcess(["start"], { DATABASE_URL: database.url, HTTP_PORT: "0" })
      const url = await backline.running()
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(backline.stdout).toMatch(
        signal === "SIGINT" ? /applied 0001_instance/ : /migrations: up to date/
      )
      const health = await fetch(`${url}/healthz`)
      expect([health.status, await health.json()]).toEqual([200, { status: "ok" }])
      const ready = await fetch(`${url}/readyz`)
      expect([ready.status, await ready.json()]).toEqual([
        200,
        { status: "ready", database: "ok", migrations: "done" }
      ])
      const exit = await backline.stop(signal)
      expect(exit).toEqual({ code: 0, signal: null })
      expect(backline.stderr).toBe("")
    }
  })

  it("npm start exits 0 on Ctrl-C, which reaches npm, its shell and Backline at once", async () => {
    const npm = spawn("npm", ["start"], {
      env: { ...process.env, DATABASE_URL: database.url, HTTP_PORT: "0", LOG_FORMAT: "pretty" },
      detached: true // its own process group, as a terminal gives it
    })
    let stdout = ""
    npm.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    const exited = new Promise<number | null>((resolve) => npm.once("close", (code) => resolve(code)))
    const deadline = Date.now() + 45_000
    while (!stdout.includes("Backline is running at") && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(stdout).toContain("Backline is running at")
    process.kill(-npm.pid!, "SIGINT") // what Ctrl-C does: the signal goes to the whole foreground group
    expect(await exited).toBe(0)
  })

  it("writes JSON lines with LOG_FORMAT=json and never prints a secret", async () => {
    const token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    const secretKey = "s3cr3t-".repeat(6)
    const backline = new BacklineProcess(["start"], {
      DATABASE_URL: database.url,
      HTTP_PORT: "0",
      BOT_TOKEN: token,
      BACKLINE_SECRET_KEY: secretKey,
      LOG_FORMAT: "json",
      LOG_LEVEL: "debug"
    })
    const [, port] = await backline.waitFor(/Backline is running at http:\/\/127\.0\.0\.1:(\d+)/)
    await fetch(`http://127.0.0.1:${port}/healthz`)
    await backline.waitFor(/Sent HTTP response/) // request logs appear at debug level
    expect((await backline.stop()).code).toBe(0)
    const lines = backline.stdout.trim().split("\n")
    const entries = lines.map((line) => JSON.parse(line) as { message: unknown; logLevel: string })
    expect(entries.map((entry) => entry.logLevel)).toContain("DEBUG")
    expect(entries.some((entry) => String(entry.message).includes("Backline is running at"))).toBe(true)
    const everything = backline.stdout + backline.stderr
    expect(everything).not.toContain(token)
    expect(everything).not.toContain(token.split(":")[1])
    expect(everything).not.toContain(secretKey)
    expect(everything).not.toContain(new URL(database.url).pathname.slice(1) + "@") // no raw URL with credentials
  })

  it("LOG_LEVEL=error keeps the info lines out", async () => {
    const port = await freePort()
    const backline = new BacklineProcess(["start"], {
      DATABASE_URL: database.url,
      HTTP_PORT: String(port),
      LOG_LEVEL: "error"
    })
    // Nothing is printed, so readiness is read from /readyz.
    const deadline = Date.now() + 45_000
    while (Date.now() < deadline && !(await isReady(port))) {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(await isReady(port)).toBe(true)
    expect((await backline.stop()).code).toBe(0)
    expect(backline.stdout).toBe("")
  })

  it("reports a port already in use in one line", async () => {
    const blocker = net.createServer()
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve))
    const port = (blocker.address() as net.AddressInfo).port
    try {
      const { code, stderr } = await runBackline(["start"], {
        DATABASE_URL: database.url,
        HTTP_PORT: String(port)
      })
      expect(code).toBe(1)
      expect(stderr.trimEnd().split("\n")).toEqual([
        `backline: cannot listen on 127.0.0.1:${port}: the port is already in use (another Backline? set HTTP_PORT)`
      ])
    } finally {
      blocker.close()
    }
  })

  it("refuses an invalid plugins.json in one line naming the field, before starting anything", async () => {
    const dir = makeTempDir("manifest")
    try {
      fs.writeFileSync(
        path.join(dir.path, "plugins.json"),
        JSON.stringify({ plugins: [{ id: "a" }, { id: "a" }] })
      )
      const { code, stdout, stderr } = await runBackline(["start"], { HTTP_PORT: "0" }, dir.path)
      expect(code).toBe(1)
      expect(stdout).toBe("")
      expect(stderr.trimEnd().split("\n")).toEqual([
        `backline: ${path.join(dir.path, "plugins.json")}: plugins.1.id: duplicate plugin id "a"`
      ])
      expect(fs.existsSync(path.join(dir.path, ".backline"))).toBe(false) // no database was started
    } finally {
      dir.remove()
    }
  })

  it("reports a DATABASE_URL where nothing answers in one line", async () => {
    const { code, stdout, stderr } = await runBackline(["start"], {
      DATABASE_URL: "postgres://postgres:pw@127.0.0.1:1/nothing",
      HTTP_PORT: "0"
    })
    expect(code).toBe(1)
    expect(stderr.trimEnd().split("\n")).toEqual([
      "backline: cannot reach PostgreSQL at 127.0.0.1:1/nothing (DATABASE_URL): connect ECONNREFUSED 127.0.0.1:1"
    ])
    expect(stdout + stderr).not.toContain(":pw@")
  })
})

describe("backline CLI", () => {
  it("migrate applies pending migrations once", async () => {
    const database = await createTestDatabase()
    try {
      const first = await runBackline(["migrate"], { DATABASE_URL: database.url, LOG_LEVEL: "warning" })
      const all = (await Effect.runPromise(migrations)).map(
        ([id, name]) => `${String(id).padStart(4, "0")}_${name}`
      )
      expect([first.code, first.stdout]).toEqual([0, `applied ${all.length}: ${all.join(", ")}\n`])
      const second = await runBackline(["migrate"], { DATABASE_URL: database.url, LOG_LEVEL: "warning" })
      expect([second.code, second.stdout]).toEqual([0, "database is up to date\n"])
    } finally {
      await database.drop()
    }
  })

  it("--help lists the commands, --version prints the version, and each command has --help", async () => {
    const [help, version, startHelp, migrateHelp, unknown] = await Promise.all([
      runBackline(["--help"]),
      runBackline(["--version"]),
      runBackline(["start", "--help"]),
      runBackline(["migrate", "--help"]),
      runBackline(["frobnicate"])
    ])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/- start\s+Run Backline/)
    expect(help.stdout).toMatch(/- migrate\s+Apply the database migrations/)
    expect(version.stdout.trim()).toBe(`v${packageJson.version}`)
    expect([startHelp.code, startHelp.stdout]).toEqual([
      0,
      expect.stringContaining("apply migrations and serve HTTP")
    ])
    expect([migrateHelp.code, migrateHelp.stdout]).toEqual([
      0,
      expect.stringContaining("Apply the database migrations")
    ])
    expect(unknown.code).toBe(1)
  })
})

async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function isReady(port: number): Promise<boolean> {
  return fetch(`http://127.0.0.1:${port}/readyz`).then(
    (response) => response.status === 200,
    () => false
  )
}
