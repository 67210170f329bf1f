import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Redacted } from "effect"
import { allScopes, parseScopes } from "../api/Scopes.ts"
import { Tokens } from "../api/Tokens.ts"
import { runMigrations } from "../sql/Migrations.ts"
import { DatabaseLive } from "./AppLayers.ts"

const withTokens = <A, E>(effect: Effect.Effect<A, E, Tokens>) =>
  Effect.zipRight(runMigrations(), effect).pipe(Effect.provide(Tokens.Default), Effect.provide(DatabaseLive))

/** A token's line in `token list`. */
const describe = (token: {
  readonly id: string
  readonly name: string
  readonly group: number
  readonly scopes: ReadonlyArray<string>
  readonly createdAt: Date
  readonly lastUsedAt: Date | null
  readonly revokedAt: Date | null
}) =>
  [
    token.id,
    token.revokedAt === null ? "active " : "revoked",
    String(token.group),
    token.scopes.join(","),
    JSON.stringify(token.name),
    `created ${token.createdAt.toISOString()}`,
    token.lastUsedAt === null ? "never used" : `last used ${token.lastUsedAt.toISOString()}`
  ].join("  ")

const group = Options.integer("group").pipe(
  Options.withDescription("The backend group's chat id, e.g. -1001234567890")
)
const scope = Options.text("scope").pipe(
  Options.withDescription(`Comma-separated scopes: ${allScopes.join(", ")}`)
)
const name = Options.text("name").pipe(Options.withDescription("A label, e.g. the system that will use it"))

const create = Command.make("create", { group, scope, name }, (input) =>
  Effect.gen(function* () {
    const { scopes, unknown } = parseScopes(input.scope)
    if (unknown.length > 0 || scopes.length === 0)
      return yield* Effect.fail(
        `--scope: ${unknown.length > 0 ? `unknown ${unknown.join(", ")}` : "none given"}; the scopes are ${allScopes.join(", ")}`
      )
    if (input.name.trim() === "") return yield* Effect.fail("--name: give the token a label")
    const tokens = yield* Tokens
    const made = yield* tokens.create({
      name: input.name.trim(),
      group: input.group,
      scopes,
      createdBy: "cli"
    })
    yield* Console.log(`token ${made.token.id} for the group ${made.token.group}: ${scopes.join(",")}`)
    yield* Console.log("secret (shown only now; Backline keeps only its hash):")
    yield* Console.log(Redacted.value(made.secret))
  }).pipe(
    withTokens,
    Effect.catchIf(
      (error): error is string => typeof error === "string",
      (message) =>
        Effect.zipRight(
          Console.error(message),
          Effect.sync(() => (process.exitCode = 2))
        )
    )
  )
).pipe(Command.withDescription("Create an API token scoped to a group and to verbs; prints its secret once."))

const list = Command.make("list", {}, () =>
  Effect.gen(function* () {
    const tokens = yield* (yield* Tokens).list
    if (tokens.length === 0) return yield* Console.log("no tokens")
    for (const token of tokens) yield* Console.log(describe(token))
  }).pipe(withTokens)
).pipe(Command.withDescription("List the API tokens (never their secrets)."))

const revoke = Command.make("revoke", { id: Args.text({ name: "id" }) }, ({ id }) =>
  Effect.flatMap(Tokens, (tokens) => tokens.revoke(id)).pipe(
    Effect.flatMap((token) => Console.log(`revoked ${token.id} (${token.name})`)),
    Effect.catchTag("TokenNotFound", () =>
      Effect.zipRight(
        Console.error(`no token ${id} (backline token list shows them)`),
        Effect.sync(() => (process.exitCode = 2))
      )
    ),
    withTokens
  )
).pipe(Command.withDescription("Revoke an API token: its secret is refused from then on."))

/** `backline token create | list | revoke`. */
export const tokenCommand = Command.make("token").pipe(
  Command.withDescription("Manage HTTP API tokens."),
  Command.withSubcommands([create, list, revoke])
)
