import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { dialogSettingsOf, type DialogInbox } from "../domain/DialogSettings.ts"
import type { DomainEvent } from "../domain/Events.ts"

/** A connection's inbox: where its clients' topics open and the settings its dialogs apply. */
type InboxOf = DialogInbox

/** What routing needs beyond the event: each connection's inbox and the claimed topics. */
export interface RouteContext {
  /** By connection id, for connections that have a backend group. */
  readonly inboxes: ReadonlyMap<string, InboxOf>
  /** The actor owning a claimed topic, by `<chatId>:<threadId>`. */
  readonly topicOwners: ReadonlyMap<string, string>
}

/** An event as a dialog receives it: with its connection's backend group and settings. */
export type ForDialog = DomainEvent & InboxOf

/** The connection in a `dialog:<connection>:<peerId>` key. */
const dialogConnection = (key: string) => key.slice("dialog:".length, key.lastIndexOf(":"))

/**
 * The actor an event goes to, with the event as delivered:
 * - a private chat's events to `dialog:<connection>:<peerId>` when the connection has a backend
 *   group (with `backendGroup` and `settings`);
 * - a claimed topic's events to its owner; a dialog takes them only from its own connection
 *   (other bots in the group see the same messages), with its connection's inbox;
 * - other group and supergroup events to `group:<chatId>`.
 * Channel posts, and private chats of a connection without a backend group, have no actor.
 */
export const routeOf = (
  event: DomainEvent,
  context: RouteContext
): readonly [string, DomainEvent | ForDialog] | undefined => {
  const chat = "chat" in event ? event.chat : undefined
  if (chat === undefined) return undefined
  if (chat.type === "private") {
    const inbox = context.inboxes.get(event.connection)
    return inbox === undefined ? undefined : [`dialog:${event.connection}:${chat.id}`, { ...event, ...inbox }]
  }
  if (chat.type !== "group" && chat.type !== "supergroup") return undefined
  const threadId = "threadId" in event ? event.threadId : undefined
  const owner = threadId === undefined ? undefined : context.topicOwners.get(`${chat.id}:${threadId}`)
  if (owner === undefined || !owner.startsWith("dialog:")) return [owner ?? `group:${chat.id}`, event]
  const connection = dialogConnection(owner)
  const inbox = context.inboxes.get(connection)
  return connection !== event.connection || inbox === undefined ? undefined : [owner, { ...event, ...inbox }]
}

/** Loads what routing `events` needs: the connections' inboxes and the owners of their topics. */
export const loadRouteContext = (events: ReadonlyArray<DomainEvent>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const connections = yield* sql<{ id: string; backend_group_id: string; settings: unknown }>`
      select id, backend_group_id, settings from connection where backend_group_id is not null`
    const topics = events.flatMap((event) => {
      const chat = "chat" in event ? event.chat : undefined
      const thread = "threadId" in event ? event.threadId : undefined
      return chat === undefined || chat.type === "private" || thread === undefined
        ? []
        : [{ chat: chat.id, thread }]
    })
    const owners =
      topics.length === 0
        ? []
        : yield* sql<{ chat_id: string; thread_id: string; actor_key: string }>`
            select chat_id, thread_id, actor_key from topic_owner
            where (chat_id, thread_id) in (
              select * from unnest(${topics.map((topic) => topic.chat)}::bigint[], ${topics.map((topic) => topic.thread)}::bigint[]))`
    return {
      inboxes: new Map(
        connections.map((row) => [
          row.id,
          { backendGroup: Number(row.backend_group_id), settings: dialogSettingsOf(row.settings) }
        ])
      ),
      topicOwners: new Map(owners.map((row) => [`${row.chat_id}:${row.thread_id}`, row.actor_key]))
    } satisfies RouteContext
  }).pipe(Effect.orDie)
