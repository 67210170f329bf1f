import { SqlClient } from "@effect/sql"
import { Effect, Option } from "effect"
import { newSecret } from "../webhooks/Signing.ts"

/** A command admins defined in a group: a fixed answer, or a URL that answers it. */
export type CustomCommand =
  | { readonly kind: "text"; readonly name: string; readonly text: string }
  | { readonly kind: "webhook"; readonly name: string; readonly url: string; readonly secret: string }

interface Raw {
  readonly name: string
  readonly kind: "text" | "webhook"
  readonly answer: string
  readonly secret: string | null
}

const fromRaw = (raw: Raw): CustomCommand =>
  raw.kind === "text"
    ? { kind: "text", name: raw.name, text: raw.answer }
    : { kind: "webhook", name: raw.name, url: raw.answer, secret: raw.secret ?? "" }

/** The groups' custom commands (`custom_command`), by group and name (without `/`). */
export class CustomCommandStore extends Effect.Service<CustomCommandStore>()("app/CustomCommandStore", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    /** The command `name` of `chatId`, if there is one. */
    const find = (chatId: number, name: string) =>
      sql<Raw>`select name, kind, answer, secret from custom_command where chat_id = ${chatId} and name = ${name}`.pipe(
        Effect.map((rows) => Option.map(Option.fromNullable(rows[0]), fromRaw)),
        Effect.orDie
      )

    /** The commands of `chatId`, by name. */
    const list = (chatId: number) =>
      sql<Raw>`select name, kind, answer, secret from custom_command where chat_id = ${chatId} order by name`.pipe(
        Effect.map((rows) => rows.map(fromRaw)),
        Effect.orDie
      )

    /** Defines (or redefines) a command; a webhook-backed one gets a new secret, answered. */
    const put = Effect.fn("CustomCommandStore.put")(function* (
      chatId: number,
      name: string,
      answer:
        { readonly kind: "text"; readonly text: string } | { readonly kind: "webhook"; readonly url: string },
      by: number
    ) {
      const secret = answer.kind === "webhook" ? newSecret() : null
      const value = answer.kind === "text" ? answer.text : answer.url
      yield* sql`
        insert into custom_command (chat_id, name, kind, answer, secret, created_by)
        values (${chatId}, ${name}, ${answer.kind}, ${value}, ${secret}, ${by})
        on conflict (chat_id, name) do update set kind = excluded.kind, answer = excluded.answer,
          secret = excluded.secret, created_by = excluded.created_by, created_at = now()`.pipe(Effect.orDie)
      return secret
    })

    /** Removes a command; answers whether there was one. */
    const remove = (chatId: number, name: string) =>
      sql<{
        name: string
      }>`delete from custom_command where chat_id = ${chatId} and name = ${name} returning name`.pipe(
        Effect.map((rows) => rows.length > 0),
        Effect.orDie
      )

    return { find, list, put, remove } as const
  })
}) {}
