import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Full-text search over plugins' stored values (`Store.search`). A value that is a JSON object is
 * searchable by its `title` (weight A), its `tags` (an array of strings, weight A) and its `text`
 * (weight B), with PostgreSQL's `english` configuration (stems, stop words): `plugin_state.search`
 * is a generated column, kept by PostgreSQL on every write, with a GIN index; `tags` has a GIN
 * index of its own for the tag filter (`value -> 'tags' @> '["howto"]'`).
 *
 * Plugins also read back the messages Telegram accepted from their own `sendMessage` calls
 * (`ctx.sentMessages`), found through a partial index on plugins' outbox rows.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    alter table plugin_state add column search tsvector generated always as (
      setweight(to_tsvector('english'::regconfig, coalesce(value ->> 'title', '')), 'A') ||
      setweight(jsonb_to_tsvector('english'::regconfig, coalesce(value -> 'tags', '[]'::jsonb), '["string"]'), 'A') ||
      setweight(to_tsvector('english'::regconfig, coalesce(value ->> 'text', '')), 'B')
    ) stored`
  yield* sql`create index plugin_state_search_idx on plugin_state using gin (search)`
  yield* sql`create index plugin_state_tags_idx on plugin_state using gin ((value -> 'tags'))`
  yield* sql`
    create index outbox_plugin_sent_idx on outbox (actor_key, chat_id, id)
    where actor_key like 'plugin:%' and method = 'sendMessage'`
})
