import type { Chat, User } from "grammy/types"
import type { Sandbox } from "./Sandbox.ts"

export interface DemoWorld {
  /** The backend group: a forum supergroup "Backline Demo" owned by the admin. */
  readonly group: Chat
  /** The bot, a full admin of the group. */
  readonly bot: { readonly user: User; readonly token: string }
  readonly admin: User
  readonly operators: readonly [User, User]
  readonly clients: readonly [User, User, User]
}

/**
 * Builds the demo workspace: the backend group with its bot and team, and three clients who have
 * not written yet. Call it once per sandbox (usernames are unique).
 *
 * @example
 * const sandbox = await startSandbox()
 * const demo = demoWorld(sandbox.world)
 * sandbox.world.sendMessage({ from: demo.clients[0].id, chat_id: demo.bot.user.id, text: "/start" })
 */
export const demoWorld = (sandbox: Sandbox): DemoWorld => {
  const admin = sandbox.createUser({
    first_name: "Dana",
    last_name: "Admin",
    username: "dana_admin",
    language_code: "en"
  })
  const operators = [
    sandbox.createUser({
      first_name: "Oleg",
      last_name: "Operator",
      username: "oleg_operator",
      language_code: "en"
    }),
    sandbox.createUser({
      first_name: "Olga",
      last_name: "Operator",
      username: "olga_operator",
      language_code: "en"
    })
  ] as const
  const clients = [
    sandbox.createUser({ first_name: "Alice", username: "alice_client", language_code: "en" }),
    sandbox.createUser({ first_name: "Bob", last_name: "Brown", language_code: "de" }),
    sandbox.createUser({
      first_name: "Chen",
      username: "chen_client",
      language_code: "zh-hans",
      is_premium: true
    })
  ] as const
  const bot = sandbox.createBot({ username: "backline_demo_bot", first_name: "Backline" })
  const group = sandbox.createChat({
    type: "supergroup",
    title: "Backline Demo",
    is_forum: true,
    owner: admin.id,
    members: operators.map((operator) => operator.id),
    admins: [bot.user.id]
  })
  return { group, bot, admin, operators, clients }
}
