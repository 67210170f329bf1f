import { randomBytes } from "node:crypto"
import { invalidField } from "./BotApiError.ts"
import type { BotRecord, UserRecord } from "./Model.ts"
import type { World } from "./World.ts"

export interface NewUser {
  readonly first_name: string
  readonly last_name?: string | undefined
  readonly username?: string | undefined
  readonly language_code?: string | undefined
  readonly is_premium?: boolean | undefined
}

export interface NewBot {
  readonly username: string
  readonly first_name?: string | undefined
  /** Privacy mode (on by default, as for every new bot). */
  readonly privacy?: boolean | undefined
}

export interface NewChat {
  readonly type: "group" | "supergroup" | "channel"
  readonly title: string
  readonly is_forum?: boolean | undefined
  readonly username?: string | undefined
  readonly owner: number
  readonly members?: ReadonlyArray<number> | undefined
  readonly admins?: ReadonlyArray<number> | undefined
}

const usernamePattern = /^[A-Za-z][A-Za-z0-9_]{3,31}$/

/** Usernames are unique across people, bots, groups and channels, ignoring case. */
export const checkUsername = (world: World, username: string | undefined, field = "username"): void => {
  if (username === undefined) return
  if (!usernamePattern.test(username))
    throw invalidField(field, "must be 4-32 letters, digits or underscores")
  const taken = [...world.users.values(), ...world.chats.values()].some(
    (other) => other.username?.toLowerCase() === username.toLowerCase()
  )
  if (taken) throw invalidField(field, `@${username} is taken`, 409)
}

export const checkNewUser = (world: World, input: NewUser): void => {
  if (typeof input.first_name !== "string" || input.first_name.trim() === "")
    throw invalidField("first_name", "is required")
  checkUsername(world, input.username)
}

export const checkNewBot = (world: World, input: NewBot): void => {
  if (typeof input.username !== "string") throw invalidField("username", "is required")
  if (!/bot$/i.test(input.username)) throw invalidField("username", "a bot's username must end in 'bot'")
  checkUsername(world, input.username)
}

/** Checks a new group or channel and answers its owner. */
export const checkNewChat = (world: World, input: NewChat): UserRecord => {
  if (!["group", "supergroup", "channel"].includes(input.type))
    throw invalidField("type", 'must be "group", "supergroup" or "channel"')
  if (typeof input.title !== "string" || input.title.trim() === "") throw invalidField("title", "is required")
  if (input.is_forum === true && input.type !== "supergroup")
    throw invalidField("is_forum", "only supergroups can be forums")
  const owner = world.users.get(input.owner)
  if (owner === undefined || owner.is_bot) throw invalidField("owner", "must be an existing user", 404)
  for (const [field, ids] of [
    ["members", input.members],
    ["admins", input.admins]
  ] as const) {
    for (const id of ids ?? []) if (!world.users.has(id)) throw invalidField(field, `no user ${id}`, 404)
  }
  checkUsername(world, input.username)
  return owner
}

export const userRecord = (id: number, input: NewUser): UserRecord => ({
  id,
  is_bot: false,
  first_name: input.first_name,
  ...(input.last_name !== undefined ? { last_name: input.last_name } : {}),
  ...(input.username !== undefined ? { username: input.username } : {}),
  ...(input.language_code !== undefined ? { language_code: input.language_code } : {}),
  ...(input.is_premium === true ? { is_premium: true as const } : {})
})

/** A new bot in privacy mode unless told otherwise, with a token shaped like Telegram's. */
export const botRecord = (id: number, input: NewBot): BotRecord => ({
  user: { id, is_bot: true, first_name: input.first_name ?? input.username, username: input.username },
  token: `${id}:AA${randomBytes(24).toString("base64url").slice(0, 33)}`,
  privacy: input.privacy ?? true,
  commands: new Map(),
  started: new Set(),
  blockedBy: new Set()
})
