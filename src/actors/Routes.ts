import { SqlClient } from "@effect/sql"
import { Effect, Option } from "effect"
import { ChatAdmins } from "../telegram/ChatAdmins.ts"
import { MessageMap, type MessageRef } from "../telegram/MessageMap.ts"
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

/**
 * An event as a dialog receives it: with its connection's backend group and settings, and, for an
 * edit or a reaction, the other side of the message (`counterpart`), for a reply, the other side of
 * the message replied to (`replyTo`), when Backline made or copied it.
 */
export type ForDialog = DomainEvent &
  InboxOf & {
    readonly counterpart?: MessageRef | undefined
    readonly replyTo?: MessageRef | undefined
    readonly mayBan?: boolean | undefined
  }

/** An actor key and the event as it receives it. */
export type Target = readonly [string, DomainEvent | ForDialog]

/** The connection in a `dialog:<connection>:<peerId>` key. */
const dialogConnection = (key: string) => key.slice("dialog:".length, key.lastIndexOf(":"))

/**
 * The actor an event goes to, with the event as delivered:
 * - a private chat's events to `dialog:<connection>:<peerId>` when the connection has a backend
 *   group (with `backendGroup` and `settings`);
 * - a claimed topic's events to its owner; a dialog takes them only from its own connection
 *   (other bots in the group see the same messages), with its connection's inbox;
 * - other group and supergroup events to `group:<chatId>`; in a backend group several bots serve,
 *   only those received by the first of them (by connection id), so each is heard once.
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
  if (owner === undefined) {
    // Several bots in one backend group each receive its messages: the group hears them once, from its first bot.
    const first = [...context.inboxes].find(([, inbox]) => inbox.backendGroup === chat.id)?.[0]
    return first !== undefined && first !== event.connection ? undefined : [`group:${chat.id}`, event]
  }
  if (!owner.startsWith("dialog:")) return [owner, event]
  const connection = dialogConnection(owner)
  const inbox = context.inboxes.get(connection)
  return connection !== event.connection || inbox === undefined ? undefined : [owner, { ...event, ...inbox }]
}

/** The channel a change to the `connection` table is announced on (by a trigger, migration 0017). */
export const connectionsChannel = "connections"

/** Each connection's inbox (backend group and settings), for the connections that have one. */
export const loadInboxes = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const connections = yield* sql<{ id: string; backend_group_id: string; settings: unknown }>`
    select id, backend_group_id, settings from connection where backend_group_id is not null and enabled order by id`
  return new Map<string, InboxOf>(
    connections.map((row) => [
      row.id,
      { backendGroup: Number(row.backend_group_id), settings: dialogSettingsOf(row.settings) }
    ])
  )
}).pipe(Effect.orDie)

/** Loads what routing `events` needs beyond `inboxes`: the owners of their topics. */
export const loadRouteContext = (events: ReadonlyArray<DomainEvent>, inboxes: ReadonlyMap<string, InboxOf>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
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
      inboxes,
      topicOwners: new Map(owners.map((row) => [`${row.chat_id}:${row.thread_id}`, row.actor_key]))
    } satisfies RouteContext
  }).pipe(Effect.orDie)

const refOf = (found: Option.Option<MessageRef>): MessageRef | undefined =>
  Option.getOrUndefined(Option.map(found, ({ chatId, messageId }) => ({ chatId, messageId })))

const banCommand = /^\/(un)?ban(@\w+)?(\s|$)/

/** Whether `linkRoute` has anything to look up for this route (most events go as they are). */
export const needsLink = ([key, event]: readonly [string, DomainEvent | ForDialog]): boolean => {
  if (event.type === "reaction.changed") return key.startsWith("group:") || key.startsWith("dialog:")
  if (!key.startsWith("dialog:")) return false
  if (event.type === "message.edited") return true
  if (event.type !== "message.received") return false
  if (event.chat.type !== "private" && event.from !== undefined && banCommand.test(event.message.text ?? ""))
    return true
  const replied = event.message.reply_to_message
  return replied !== undefined && replied.message_id !== event.threadId
}

/**
 * Links a routed event to the other side of its dialog through `message_map`: a reaction in the
 * group (which carries no topic) goes to the dialog whose copy it reacts to; a dialog's edits and
 * reactions get `counterpart`, its replies `replyTo`, and `/ban` or `/unban` in its topic `mayBan`.
 */
export const linkRoute = (
  route: readonly [string, DomainEvent | ForDialog],
  context: RouteContext
): Effect.Effect<readonly [string, DomainEvent | ForDialog], never, MessageMap | ChatAdmins> =>
  Effect.gen(function* () {
    const map = yield* MessageMap
    const [key, event] = route
    if (event.type === "reaction.changed" && key.startsWith("group:")) {
      const found = yield* map.counterpart(event.connection, {
        chatId: event.chat.id,
        messageId: event.messageId
      })
      const owner = Option.getOrUndefined(found)?.actorKey ?? undefined
      const inbox = context.inboxes.get(event.connection)
      if (owner === undefined || inbox === undefined || !owner.startsWith("dialog:")) return route
      if (dialogConnection(owner) !== event.connection) return route
      return [owner, { ...event, ...inbox, counterpart: refOf(found) }] as const
    }
    if (!key.startsWith("dialog:")) return route
    if (event.type === "message.edited" || event.type === "reaction.changed") {
      const found = yield* map.counterpart(event.connection, {
        chatId: event.chat.id,
        messageId: event.messageId
      })
      return [key, { ...event, counterpart: refOf(found) }] as const
    }
    if (event.type === "message.received" && event.chat.type !== "private" && event.from !== undefined) {
      // Who may ban is Telegram's to say: asked only for the commands that need it.
      if (banCommand.test(event.message.text ?? "")) {
        const mayBan = yield* (yield* ChatAdmins).mayBan(event.connection, event.chat.id, event.from.id)
        return [key, { ...event, mayBan }] as const
      }
    }
    if (event.type === "message.received") {
      const replied = event.message.reply_to_message
      // In a forum, a message without an explicit reply "replies" to its topic's first message.
      if (replied === undefined || replied.message_id === event.threadId) return route
      const found = yield* map.counterpart(event.connection, {
        chatId: event.chat.id,
        messageId: replied.message_id
      })
      return [key, { ...event, replyTo: refOf(found) }] as const
    }
    return route
  })
