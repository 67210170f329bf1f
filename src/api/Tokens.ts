import { createHash, randomBytes } from "node:crypto"
import { SqlClient } from "@effect/sql"
import { Data, Effect, Option, Redacted } from "effect"
import type { Scope } from "./Scopes.ts"

/** The start of every API secret, so a leaked one is recognised (secret scanners, logs). */
export const secretPrefix = "bkl_"

/** A token as the API and the CLI see it: never its secret. */
export interface TokenInfo {
  readonly id: string
  readonly name: string
  /** The group it is scoped to. */
  readonly group: number
  readonly scopes: ReadonlyArray<Scope>
  /** Who made it: `cli`, or `telegram:<user id>` for `/token`. */
  readonly createdBy: string
  readonly createdAt: Date
  readonly lastUsedAt: Date | null
  readonly revokedAt: Date | null
}

/** No token has that id. */
export class TokenNotFound extends Data.TaggedError("TokenNotFound")<{ readonly id: string }> {}

interface Raw {
  readonly id: string
  readonly name: string
  readonly chat_id: string
  readonly scopes: ReadonlyArray<Scope>
  readonly created_by: string
  readonly created_at: Date
  readonly last_used_at: Date | null
  readonly revoked_at: Date | null
}

const fromRaw = (raw: Raw): TokenInfo => ({
  id: raw.id,
  name: raw.name,
  group: Number(raw.chat_id),
  scopes: raw.scopes,
  createdBy: raw.created_by,
  createdAt: raw.created_at,
  lastUsedAt: raw.last_used_at,
  revokedAt: raw.revoked_at
})

/** SHA-256 of a secret, hex: what `api_token.secret_hash` holds. */
export const hashSecret = (secret: string) => createHash("sha256").update(secret).digest("hex")

/**
 * API tokens: a random 256-bit secret shown once at creation, stored only as its SHA-256 hash,
 * scoped to one group and to verbs (`Scope`), revocable.
 */
export class Tokens extends Effect.Service<Tokens>()("app/Tokens", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const columns = sql`id, name, chat_id, scopes, created_by, created_at, last_used_at, revoked_at`

    /** Makes a token; answers it and its secret (the only time the secret is seen). */
    const create = Effect.fn("Tokens.create")(function* (input: {
      readonly name: string
      readonly group: number
      readonly scopes: ReadonlyArray<Scope>
      readonly createdBy: string
    }) {
      const id = `tok_${randomBytes(6).toString("hex")}`
      const secret = Redacted.make(`${secretPrefix}${randomBytes(32).toString("base64url")}`)
      const rows = yield* sql<Raw>`
        insert into api_token (id, name, chat_id, scopes, secret_hash, created_by)
        values (${id}, ${input.name}, ${input.group}, coalesce((select array_agg(scope) from jsonb_array_elements_text(${JSON.stringify(input.scopes)}::jsonb) as scope), '{}'), ${hashSecret(Redacted.value(secret))}, ${input.createdBy})
        returning ${columns}`.pipe(Effect.orDie)
      return { token: fromRaw(rows[0]!), secret }
    })

    /** Every token, newest first (revoked ones too, marked). */
    const list = sql<Raw>`select ${columns} from api_token order by created_at desc, id`.pipe(
      Effect.map((rows) => rows.map(fromRaw)),
      Effect.orDie,
      Effect.withSpan("Tokens.list")
    )

    /** Revokes a token: its secret is refused from the next request on. */
    const revoke = Effect.fn("Tokens.revoke")(function* (id: string) {
      const rows = yield* sql<Raw>`
        update api_token set revoked_at = coalesce(revoked_at, now()) where id = ${id}
        returning ${columns}`.pipe(Effect.orDie)
      return yield* Option.match(Option.fromNullable(rows[0]), {
        onNone: () => Effect.fail(new TokenNotFound({ id })),
        onSome: (raw) => Effect.succeed(fromRaw(raw))
      })
    })

    /** The live token whose secret this is, if any. */
    const verify = Effect.fn("Tokens.verify")(function* (secret: Redacted.Redacted<string>) {
      const value = Redacted.value(secret)
      if (!value.startsWith(secretPrefix) || value.length > 200) return Option.none<TokenInfo>()
      const rows = yield* sql<Raw>`
        select ${columns} from api_token where secret_hash = ${hashSecret(value)} and revoked_at is null`.pipe(
        Effect.orDie
      )
      const found = rows[0]
      // Recorded at most once a minute, so a busy token's requests do not queue on its row.
      if (
        found !== undefined &&
        (found.last_used_at === null || Date.now() - found.last_used_at.getTime() > 60_000)
      )
        yield* sql`update api_token set last_used_at = now() where id = ${found.id}`.pipe(Effect.orDie)
      return Option.map(Option.fromNullable(rows[0]), fromRaw)
    })

    return { create, list, revoke, verify } as const
  })
}) {}
