import { randomBytes } from "node:crypto"
import pg from "pg"

/** Runs `statement` on the server at `adminUrl` through a connection of its own. */
const onServer = async (adminUrl: string, statement: string): Promise<void> => {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}

/**
 * A new, empty database `<prefix><random>` on the server at `adminUrl`: its URL and a function
 * that drops it. Free of vitest, so benchmarks use it as tests do (through `createTestDatabase`).
 */
export const createDatabase = async (
  adminUrl: string,
  prefix = "backline_test_"
): Promise<{ url: string; drop: () => Promise<void> }> => {
  const name = `${prefix}${randomBytes(6).toString("hex")}`
  await onServer(adminUrl, `create database ${name}`)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: () => onServer(adminUrl, `drop database if exists ${name} with (force)`)
  }
}
