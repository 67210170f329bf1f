import { Effect, Option } from "effect"
import { machines, type GroupContext, type TopicEntry, type TopicKind } from "../../machines/index.ts"
import { SnapshotStore } from "../actors/SnapshotStore.ts"

/** A kind of the team's own topics, as `/workspace setup` creates them. */
export type WorkspaceKind =
  "announcements" | "team" | "instructions" | "knowledge-base" | "notifications" | "tasks"

/** One standard topic: its kind, its name, its icon colour and the plugin that runs in it. */
export interface StandardTopic {
  readonly kind: WorkspaceKind
  readonly name: string
  /** One of the six colours Telegram allows for a topic icon (custom emoji need Premium ids). */
  readonly iconColor: number
  /** The plugin `/workspace setup` switches on there; `null` for Team chat, where Backline stays silent. */
  readonly plugin: string | null
}

/** The standard topics, in the order `/workspace setup` creates them. */
export const standardTopics: ReadonlyArray<StandardTopic> = [
  { kind: "announcements", name: "Announcements", iconColor: 0xfb6f5f, plugin: "announcements" },
  { kind: "team", name: "Team chat", iconColor: 0x6fb9f0, plugin: null },
  { kind: "instructions", name: "Instructions", iconColor: 0xffd67e, plugin: "instructions" },
  { kind: "knowledge-base", name: "Knowledge base", iconColor: 0xcb86db, plugin: "knowledge-base" },
  { kind: "notifications", name: "Notifications", iconColor: 0xff93b2, plugin: "notify" },
  { kind: "tasks", name: "Tasks", iconColor: 0x8eee98, plugin: "tasks" }
]

/** The standard topic of a workspace kind, if `kind` is one. */
export const standardOf = (kind: string): StandardTopic | undefined =>
  standardTopics.find((topic) => topic.kind === kind)

/** The topics a group actor knows, and those it is creating, as its latest snapshot holds them. */
export interface GroupTopics {
  readonly topics: ReadonlyArray<TopicEntry>
  readonly pending: ReadonlyArray<TopicKind>
}

const empty: GroupTopics = { topics: [], pending: [] }

/** The context in a stored group snapshot, lifted to the current version; `undefined` if it cannot be. */
const contextOf = (version: number, state: unknown): GroupContext | undefined => {
  const entry = machines.group
  const current = version === entry.version ? state : entry.migrate(state, version)
  return (current as { readonly context?: GroupContext } | undefined)?.context
}

/**
 * Reads a group's topic registry from its actor's last committed snapshot: a command handled by a
 * plugin was journalled with that snapshot, so it is at least as new as the command.
 */
export const groupTopics = (chatId: number) =>
  Effect.gen(function* () {
    const row = yield* (yield* SnapshotStore).load(`group:${chatId}`)
    if (Option.isNone(row)) return empty
    const context = contextOf(row.value.version, row.value.snapshot.state)
    if (context === undefined) return empty
    return {
      topics: Object.values(context.topics).sort((a, b) => a.threadId - b.threadId),
      pending: Object.values(context.pending ?? {}).flatMap((asked) =>
        asked.kind === "unknown" ? [] : [asked.kind]
      )
    } satisfies GroupTopics
  })

/** The first topic of `kind` (lowest thread id), if the group has one. */
export const topicOfKind = (found: GroupTopics, kind: TopicKind) =>
  found.topics.find((topic) => topic.kind === kind)

/** A link to a topic of a supergroup (`-100…` ids), as Telegram's clients open it. */
export const topicLink = (chatId: number, threadId: number) => {
  const internal = String(chatId).replace(/^-100/, "")
  return `https://t.me/c/${internal}/${threadId}`
}
