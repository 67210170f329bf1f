import type { Sandbox } from "../../src/sandbox/Sandbox.ts"
import { BacklineProcess } from "./Backline.ts"

/**
 * A backend group of its own in a sandbox: a forum supergroup owned by "Owner", with `operators`
 * as members and a bot (`username`) as a full admin.
 */
export const helpdeskWorld = (
  sandbox: Sandbox,
  options: { readonly bot: string; readonly title: string; readonly operators?: ReadonlyArray<string> }
) => {
  const owner = sandbox.createUser({ first_name: "Owner" })
  const operators = (options.operators ?? []).map((name) => sandbox.createUser({ first_name: name }))
  const bot = sandbox.createBot({ username: options.bot })
  const group = sandbox.createChat({
    type: "supergroup",
    title: options.title,
    is_forum: true,
    owner: owner.id,
    members: operators.map((operator) => operator.id),
    admins: [bot.user.id]
  }).id
  return { owner, operators, bot, group }
}

/**
 * `backline start` as its own process, serving `token`'s bot on the sandbox at `apiRoot` with
 * `group` as its backend group, on `databaseUrl`, with no rate limits of its own (the sandbox's
 * are off too), on a free port.
 */
export const startHelpdesk = (options: {
  readonly databaseUrl: string
  readonly apiRoot: string
  readonly token: string
  readonly group: number
}) =>
  new BacklineProcess(["start"], {
    DATABASE_URL: options.databaseUrl,
    BOT_TOKEN: options.token,
    TELEGRAM_API_ROOT: options.apiRoot,
    BACKEND_GROUP_ID: String(options.group),
    TELEGRAM_RATE_LIMITS: "off",
    HTTP_PORT: "0"
  })

/** Waits `ms` milliseconds. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
