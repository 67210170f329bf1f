import { SqlClient } from "@effect/sql"
import { Effect, Option } from "effect"

/** One message a sent call produced, and the message it copies or forwards, if it does. */
export interface Mapping {
  readonly messageId: number
  readonly sourceChatId: number | null
  readonly sourceMessageId: number | null
}

const idOf = (value: unknown): number | undefined => {
  const id = (value as { message_id?: unknown } | null | undefined)?.message_id
  return typeof id === "number" ? id : undefined
}

const numberOf = (value: unknown): number | null =>
  typeof value === "number"
    ? value
    : typeof value === "string" && /^-?\d+$/.test(value)
      ? Number(value)
      : null

/**
 * The messages a call's result holds (a Message, a MessageId, or an album of them), each with the
 * message it copies: `copyMessage`/`forwardMessage` name it by `from_chat_id` and `message_id`,
 * `copyMessages`/`forwardMessages` by `from_chat_id` and `message_ids` in result order.
 */
export const mappingsOf = (
  method: string,
  params: Readonly<Record<string, unknown>>,
  result: unknown
): Array<Mapping> => {
  const results = Array.isArray(result) ? (result as Array<unknown>) : [result]
  const from = numberOf(params["from_chat_id"])
  const sources: Array<unknown> =
    method === "copyMessage" || method === "forwardMessage"
      ? [params["message_id"]]
      : method === "copyMessages" || method === "forwardMessages"
        ? Array.isArray(params["message_ids"])
          ? (params["message_ids"] as Array<unknown>)
          : []
        : []
  return results.flatMap((item, index) => {
    const messageId = idOf(item)
    if (messageId === undefined) return []
    const source = numberOf(sources[index])
    return [{ messageId, sourceChatId: source === null ? null : from, sourceMessageId: source }]
  })
}

/** A message and the chat it is in. */
export interface MessageRef {
  readonly chatId: number
  readonly messageId: number
}

/** The other side of a message, and the actor whose call made the copy. */
export interface Counterpart extends MessageRef {
  readonly actorKey: string | null
}

/**
 * Which sent message copies which (`message_map`): lets replies, edits and reactions follow a
 * message from one side of a dialog to the other.
 */
export class MessageMap extends Effect.Service<MessageMap>()("app/MessageMap", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    /**
     * The other side of `message` through `connection`: the copy made of it, or the message it is a
     * copy of (the most recent, if it was copied more than once), with the actor that made the copy.
     */
    const counterpart = Effect.fn("MessageMap.counterpart")(function* (
      connection: string,
      message: MessageRef
    ) {
      const rows = yield* sql<{ chat_id: string; message_id: string; actor_key: string | null }>`
        (select m.chat_id, m.message_id, o.actor_key from message_map m join outbox o on o.id = m.outbox_id
          where m.connection_id = ${connection} and m.source_chat_id = ${message.chatId}
            and m.source_message_id = ${message.messageId}
          order by m.outbox_id desc limit 1)
        union all
        (select m.source_chat_id, m.source_message_id, o.actor_key from message_map m join outbox o on o.id = m.outbox_id
          where m.connection_id = ${connection} and m.chat_id = ${message.chatId} and m.message_id = ${message.messageId}
            and m.source_chat_id is not null
          order by m.outbox_id desc limit 1)
        limit 1`.pipe(Effect.orDie)
      return Option.map(Option.fromNullable(rows[0]), (row): Counterpart => ({
        chatId: Number(row.chat_id),
        messageId: Number(row.message_id),
        actorKey: row.actor_key
      }))
    })

    return { counterpart } as const
  })
}) {}
