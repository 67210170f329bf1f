import { layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { expect } from "vitest"
import knowledgeBase from "../../../plugins/knowledge-base/index.ts"
import { MigratedDatabase } from "../../support/Gateway.ts"
import { groupCommand, makeHarness } from "../../support/PluginHarness.ts"
import { fixtureEntries, fixtureGroup, fixtureThread } from "./fixture/entries.ts"
import { fixtureQueries } from "./fixture/queries.ts"

layer(MigratedDatabase, { timeout: 60_000 })("knowledge-base search quality", (it) => {
  it.scoped("finds the expected entry in the top 3 for at least 18 of 20 queries over 1,000 entries", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const harness = yield* makeHarness(knowledgeBase, { config: { results: 3 } })
      const entries = fixtureEntries()
      expect(entries.length).toBe(1000)
      // Loaded in one statement, as the plugin would have stored them one message at a time.
      yield* sql`insert into plugin_state ${sql.insert(
        entries.map(([key, value]) => ({
          plugin_id: knowledgeBase.id,
          chat_id: fixtureGroup,
          thread_id: 0,
          key,
          value: JSON.stringify(value)
        }))
      )}`
      const titleOf = new Map(entries.map(([, entry]) => [entry.link, entry.title]))
      let found = 0
      const misses: Array<string> = []
      for (const { query, expected } of fixtureQueries) {
        const sent = (yield* harness.outbox).length
        // Asked from another topic (3), as people do.
        yield* harness.deliver(groupCommand({ chatId: fixtureGroup, threadId: 3, text: `/kb ${query}` }))
        const answer = (yield* harness.outbox).slice(sent)
        expect(answer.length).toBe(1)
        const text = String(answer[0]!.params["text"])
        const top = [...text.matchAll(/href="([^"]+)"/g)].map((match) => titleOf.get(match[1]!))
        expect(top.length).toBeLessThanOrEqual(3)
        if (top.includes(expected)) found++
        else misses.push(`"${query}": wanted "${expected}", got ${JSON.stringify(top)}`)
      }
      console.log(`knowledge-base search: ${found}/${fixtureQueries.length} in top 3`)
      // For comparison, the same fixture ranked two other ways (figures only): the `simple`
      // configuration (no stemming, no stop words), and, as a floor, any-word matches newest first (no ranking).
      const compare = (config: string, ranked: boolean) =>
        Effect.gen(function* () {
          let hits = 0
          for (const { query, expected } of fixtureQueries) {
            const tags = [...query.matchAll(/#(\w+)/g)].map((match) => match[1]!)
            const words = query.replace(/#\w+/g, " ").trim()
            const some = words.split(/\s+/).join(" or ")
            const rows = yield* sql<{ title: string }>`
              with doc as (
                select value, setweight(to_tsvector(${config}::regconfig, coalesce(value ->> 'title', '')), 'A') ||
                  setweight(jsonb_to_tsvector(${config}::regconfig, value -> 'tags', '["string"]'), 'A') ||
                  setweight(to_tsvector(${config}::regconfig, coalesce(value ->> 'text', '')), 'B') as search
                from plugin_state where plugin_id = ${knowledgeBase.id} and value -> 'tags' @> ${JSON.stringify(tags)}::jsonb
              ), q as (
                select websearch_to_tsquery(${config}::regconfig, ${words}) as every,
                  websearch_to_tsquery(${config}::regconfig, ${some}) as some
              )
              select value ->> 'title' as title from doc, q where search @@ q.some
              order by ${ranked ? sql`search @@ q.every desc, ts_rank_cd(search, q.some, 1) desc` : sql`(value ->> 'date') desc`}
              limit 3`
            if (rows.some((row) => row.title === expected)) hits++
          }
          return hits
        })
      console.log(
        `  for comparison: simple configuration ${yield* compare("simple", true)}/20, ` +
          `any-word matches newest first ${yield* compare("english", false)}/20`
      )
      if (misses.length > 0) console.log(`missed:\n${misses.join("\n")}`)
      expect(fixtureThread).toBeGreaterThan(1)
      expect(found).toBeGreaterThanOrEqual(18)
    })
  )
})
