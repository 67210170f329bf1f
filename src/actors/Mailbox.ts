import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/** The channel new mail is announced on (the payload is the actor key: never empty). */
export const mailChannel = "mail"

/** The due timer a mail row carries, checked by the ActorHost against the actor's current timers. */
export interface MailTimer {
  readonly name: string
  readonly generation: string
}

/** One pending mail row. */
export interface MailRow {
  readonly id: number
  readonly actorKey: string
  readonly source: string
  readonly event: { readonly type: string }
  readonly timer: MailTimer | undefined
}

interface Raw {
  readonly id: string
  readonly actor_key: string
  readonly source: string
  readonly event: { readonly type: string }
  readonly timer_name: string | null
  readonly timer_generation: string | null
}

/**
 * Durable mail to actors: an event that does not come from Telegram (a plugin's or the HTTP API's
 * command, a due timer, the result of a Bot API call) stored in `actor_mail` and applied by its
 * actor exactly once, by the step `mail:<id>` that marks the row done. The Router delivers it.
 */
export class Mailbox extends Effect.Service<Mailbox>()("app/Mailbox", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    /**
     * Mails `event` to the actor `key`; `source` says who sent it (`plugin:tasks`, `api`). Inside
     * the caller's transaction it is sent when that commits.
     */
    const send = Effect.fn("Mailbox.send")(function* (
      key: string,
      event: { readonly type: string },
      source: string
    ) {
      yield* sql`
        insert into actor_mail (actor_key, source, event) values (${key}, ${source}, ${JSON.stringify(event)}::jsonb)`
      yield* sql`select pg_notify(${mailChannel}, ${key})`
    }, Effect.orDie)

    /** The oldest pending mail, at most `limit` rows. */
    const pending = (limit: number) =>
      sql<Raw>`
        select id, actor_key, source, event, timer_name, timer_generation from actor_mail
        where status = 'pending' order by id limit ${limit}`.pipe(
        Effect.map((rows) =>
          rows.map((raw): MailRow => ({
            id: Number(raw.id),
            actorKey: raw.actor_key,
            source: raw.source,
            event: raw.event,
            timer:
              raw.timer_name === null
                ? undefined
                : { name: raw.timer_name, generation: raw.timer_generation ?? "" }
          }))
        ),
        Effect.orDie
      )

    /** Marks a row that could not be applied `dead` and copies it to `dead_letter` (source `mail`). */
    const bury = (row: MailRow, reason: string) =>
      Effect.gen(function* () {
        yield* sql`update actor_mail set status = 'dead', done_at = now() where id = ${row.id} and status = 'pending'`
        yield* sql`
          insert into dead_letter (source, ref, reason, payload)
          values ('mail', ${`mail:${row.id}`}, ${reason}, ${JSON.stringify(row.event)}::jsonb)`
      }).pipe(sql.withTransaction, Effect.orDie)

    return { send, pending, bury } as const
  })
}) {}
