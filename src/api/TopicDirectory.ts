import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import type { TopicEntry } from "../../machines/index.ts"

/** A topic as the API shows it. */
export interface TopicView {
  readonly thread_id: number
  readonly name: string | null
  readonly kind: string
  readonly closed: boolean
}

/** A client's dialog, as its actor's persisted snapshot has it. */
export interface DialogView {
  readonly connection: string
  readonly user_id: number
  readonly group: number | null
  readonly thread_id: number | null
  readonly status: string
  readonly blocked: boolean
  readonly client: {
    readonly id: number
    readonly first_name: string
    readonly last_name?: string
    readonly username?: string
  } | null
}

interface DialogSnapshot {
  readonly connection: string
  readonly peerId: number
  readonly groupId: number | null
  readonly threadId: number | null
  readonly status: string
  readonly blocked: boolean
  readonly client: { id: number; first_name: string; last_name?: string; username?: string } | null
}

const viewOf = (entry: TopicEntry): TopicView => ({
  thread_id: entry.threadId,
  name: entry.name,
  kind: entry.kind,
  closed: entry.closed
})

const dialogOf = (context: DialogSnapshot): DialogView => ({
  connection: context.connection,
  user_id: context.peerId,
  group: context.groupId,
  thread_id: context.threadId,
  status: context.status,
  blocked: context.blocked,
  client:
    context.client === null
      ? null
      : {
          id: context.client.id,
          first_name: context.client.first_name,
          ...(context.client.last_name === undefined ? {} : { last_name: context.client.last_name }),
          ...(context.client.username === undefined ? {} : { username: context.client.username })
        }
})

/**
 * The topics of a group as the API reads them: the group actor's topic registry (its persisted
 * snapshot), plus topics Backline created whose creation Telegram has answered but the group
 * actor has not heard of yet; and a dialog topic's dialog, from `topic_owner` and its snapshot.
 */
export class TopicDirectory extends Effect.Service<TopicDirectory>()("app/api/TopicDirectory", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const list = Effect.fn("TopicDirectory.list")(function* (group: number) {
      const [stored] = yield* sql<{ topics: Record<string, TopicEntry> | null }>`
        select snapshot -> 'state' -> 'context' -> 'topics' as topics from actor_snapshot
        where actor_key = ${`group:${group}`}`
      const created = yield* sql<{ thread_id: number; name: string }>`
        select (result ->> 'message_thread_id')::bigint::float8 as thread_id, result ->> 'name' as name
        from outbox where chat_id = ${group} and method = 'createForumTopic' and status = 'sent'
        order by id`
      const topics = new Map<number, TopicView>()
      for (const entry of Object.values(stored?.topics ?? {})) topics.set(entry.threadId, viewOf(entry))
      for (const row of created)
        if (!topics.has(row.thread_id))
          topics.set(row.thread_id, {
            thread_id: row.thread_id,
            name: row.name,
            kind: "unknown",
            closed: false
          })
      return [...topics.values()].sort((a, b) => a.thread_id - b.thread_id)
    }, Effect.orDie)

    /** The topic `ref` names: a thread id (digits), else a name, compared case-insensitively. */
    const find = Effect.fn("TopicDirectory.find")(function* (group: number, ref: string) {
      const topics = yield* list(group)
      if (/^\d{1,15}$/.test(ref)) return topics.find((topic) => topic.thread_id === Number(ref))
      const name = ref.trim().toLowerCase()
      return topics.find((topic) => topic.name?.trim().toLowerCase() === name)
    })

    /** The dialog whose topic this is, if it is a client's. */
    const dialogOfTopic = Effect.fn("TopicDirectory.dialogOfTopic")(function* (
      group: number,
      threadId: number
    ) {
      const [row] = yield* sql<{ context: DialogSnapshot | null }>`
        select s.snapshot -> 'state' -> 'context' as context
        from topic_owner o join actor_snapshot s on s.actor_key = o.actor_key
        where o.chat_id = ${group} and o.thread_id = ${threadId} and o.actor_key like 'dialog:%'`
      return row?.context === null || row?.context === undefined ? undefined : dialogOf(row.context)
    }, Effect.orDie)

    /** The dialog of `connection`'s client `user`, if it has one. */
    const dialog = Effect.fn("TopicDirectory.dialog")(function* (connection: string, user: number) {
      const [row] = yield* sql<{ context: DialogSnapshot | null }>`
        select snapshot -> 'state' -> 'context' as context from actor_snapshot
        where actor_key = ${`dialog:${connection}:${user}`}`
      return row?.context === null || row?.context === undefined ? undefined : dialogOf(row.context)
    }, Effect.orDie)

    return { list, find, dialogOfTopic, dialog } as const
  })
}) {}
