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

/** Polls `probe`, which reads the in-process sandbox at once, until it answers something; throws after `timeoutMs`. */
export const until = <A>(probe: () => A | undefined, timeoutMs?: number): Promise<A> =>
  poll(() => Promise.resolve(probe()), timeoutMs)

/**
 * What people see in an in-process sandbox, each read as the Telegram app shows it to them, and
 * polled until it is there: a group's topics, a topic's messages (service messages left out), a
 * client's chat with a bot.
 */
export const viewOf = (sandbox: Sandbox) => {
  const topicMessages = (group: number, as: number, thread: number) =>
    sandbox.messages(group, as, thread).filter((message) => message.forum_topic_created === undefined)
  return {
    topicMessages,
    /** The topic named `name` once it exists. */
    topicNamed: (group: number, name: string) =>
      until(() => sandbox.topics(group).find((topic) => topic.name === name)),
    /** The topic's messages once there are at least `count`. */
    topicHolding: (group: number, as: number, thread: number, count: number) =>
      until(() => {
        const found = topicMessages(group, as, thread)
        return found.length >= count ? found : undefined
      }),
    /** The client's chat with `bot` once it holds at least `count` messages from the bot. */
    fromBot: (bot: number, client: number, count: number) =>
      until(() => {
        const found = sandbox.messages(bot, client).filter((message) => message.from?.id === bot)
        return found.length >= count ? found : undefined
      })
  }
}

/** Polls `probe` every 100 ms until it answers something other than `undefined`; throws after `timeoutMs`. */
export const poll = async <A>(probe: () => Promise<A | undefined>, timeoutMs = 20_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error("condition not met in time")
    await sleep(100)
  }
}
