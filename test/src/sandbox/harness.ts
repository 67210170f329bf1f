import { Bot, type Context } from "grammy"
import type { Update, User } from "grammy/types"
import { afterEach } from "vitest"
import { startSandbox, type RunningSandbox, type ServeOptions } from "../../../src/sandbox/Server.ts"

const running: Array<() => Promise<void>> = []

afterEach(async () => {
  for (const stop of running.splice(0).reverse()) await stop()
})

/** A sandbox on an ephemeral port, closed after the test. Rate limits are off unless asked for. */
export const sandbox = async (options: ServeOptions = {}): Promise<RunningSandbox> => {
  const started = await startSandbox({ limits: { enabled: false }, ...options })
  running.push(started.close)
  return started
}

/** A real grammY bot talking HTTP to the sandbox. */
export const grammyBot = (box: RunningSandbox, token: string): Bot =>
  new Bot(token, { client: { apiRoot: box.apiRoot } })

/** Polls until `probe` gives a value, failing after `timeoutMs`. */
export const eventually = async <T>(probe: () => T | undefined | false, timeoutMs = 3000): Promise<T> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = probe()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A bot running grammY long polling (`bot.start`), recording every update it handles. */
export const pollingBot = async (
  box: RunningSandbox,
  token: string,
  setup: (bot: Bot) => void = () => {},
  allowed_updates?: ReadonlyArray<Exclude<keyof Update, "update_id">>
): Promise<{ bot: Bot; updates: Array<Update>; next: (kind: keyof Update) => Promise<Update> }> => {
  const bot = grammyBot(box, token)
  const updates: Array<Update> = []
  bot.use(async (ctx: Context, next) => {
    updates.push(ctx.update)
    await next()
  })
  setup(bot)
  // Telegram filters updates by allowed_updates when they happen: set it before the test acts.
  if (allowed_updates !== undefined)
    await bot.api.getUpdates({ allowed_updates: [...allowed_updates], limit: 1 })
  let started = false
  void bot.start({
    timeout: 1,
    ...(allowed_updates !== undefined ? { allowed_updates } : {}),
    onStart: () => void (started = true)
  })
  running.push(async () => {
    if (bot.isRunning()) await bot.stop()
  })
  await eventually(() => started)
  let seen = 0
  const next = async (kind: keyof Update) => {
    const found = await eventually(() => {
      const index = updates.findIndex((u, i) => i >= seen && kind in u)
      return index === -1 ? undefined : index
    })
    seen = found + 1
    return updates[found]!
  }
  return { bot, updates, next }
}

/** A person, a bot they have started, and the sandbox: the usual start of a private-chat test. */
export const privateSetup = async (options: ServeOptions = {}) => {
  const box = await sandbox(options)
  const user: User = box.world.createUser({
    first_name: "Ann",
    last_name: "Lee",
    username: "ann_lee",
    language_code: "en"
  })
  const { user: botUser, token } = box.world.createBot({ username: "helper_bot", first_name: "Helper" })
  box.world.sendMessage({ from: user.id, chat_id: botUser.id, text: "/start" })
  return { box, user, botUser, token, api: grammyBot(box, token).api }
}

/** A forum supergroup with an owner, a member and the bot as admin. */
export const forumSetup = async (options: ServeOptions = {}) => {
  const box = await sandbox(options)
  const owner = box.world.createUser({ first_name: "Olivia", username: "olivia_owner" })
  const member = box.world.createUser({ first_name: "Mark", username: "mark_member" })
  const { user: botUser, token } = box.world.createBot({ username: "team_bot" })
  const group = box.world.createChat({
    type: "supergroup",
    title: "Team",
    is_forum: true,
    owner: owner.id,
    members: [member.id],
    admins: [botUser.id]
  })
  return { box, owner, member, botUser, token, group, api: grammyBot(box, token).api }
}

/** A 3x2 PNG: signature, IHDR with width 3 and height 2. */
export const png = Buffer.from(
  "89504e470d0a1a0a0000000d4948445200000003000000020806000000b8b5f5d40000000d49444154789c63f8ffff3f0300080001ff0a5e0d4e0000000049454e44ae426082",
  "hex"
)

/** What a control API call refused with (a `ControlError`: `status`, `field`, `error`), or undefined. */
export const refusal = (act: () => unknown): unknown => {
  try {
    act()
  } catch (error) {
    return error
  }
  return undefined
}
