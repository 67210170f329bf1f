import { Schema } from "effect"

/**
 * What a token may do. `topics:*` the group's topics and posting into them, `dialogs:write`
 * messages to clients, `events:write` external events, `webhooks:*` outbound webhook
 * subscriptions, `calendar:read` the group's calendar feed.
 */
export const Scope = Schema.Literal(
  "topics:read",
  "topics:write",
  "dialogs:write",
  "events:write",
  "webhooks:read",
  "webhooks:write",
  "calendar:read"
)
export type Scope = typeof Scope.Type

/** Every scope, in the order `backline token create --help` lists them. */
export const allScopes: ReadonlyArray<Scope> = Scope.literals

/** `topics:write,events:write` as scopes; the unknown words, if any, on the left. */
export const parseScopes = (
  text: string
): { readonly scopes: Array<Scope>; readonly unknown: Array<string> } => {
  const words = text
    .split(/[\s,]+/)
    .map((word) => word.trim())
    .filter((word) => word !== "")
  const isScope = Schema.is(Scope)
  return {
    scopes: [...new Set(words.filter(isScope))],
    unknown: words.filter((word) => !isScope(word))
  }
}
