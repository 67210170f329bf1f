import { Effect, Schema } from "effect"
import type { ChatMessage } from "../../src/assistants/ChatCompletions.ts"
import type { PluginContext } from "../../src/plugins/definePlugin.ts"
import type { Line } from "./history.ts"

/** What assist reads of a knowledge-base entry (`entry:<messageId>`, see plugins/knowledge-base/README.md). */
const Entry = Schema.Struct({ title: Schema.String, text: Schema.String, link: Schema.String })
type Entry = typeof Entry.Type

/** How much of one entry's text goes into the prompt. */
const maxEntryText = 1500

/** What the knowledge base is searched with: the client's latest lines. */
export const queryOf = (lines: ReadonlyArray<Line>) =>
  lines
    .filter((line) => line.from === "client")
    .slice(-3)
    .map((line) => line.text)
    .join(" ")

/**
 * The `limit` knowledge-base entries of the group best matching the client's latest lines, when the
 * knowledge-base plugin is on in the group (none otherwise, and none when `limit` is 0).
 */
export const knowledgeFor = <C>(ctx: PluginContext<C>, lines: ReadonlyArray<Line>, limit: number) => {
  const query = queryOf(lines)
  if (limit === 0 || query.trim() === "") return Effect.succeed<ReadonlyArray<Entry>>([])
  return ctx.storage
    .read("knowledge-base")
    .group.search(query, { prefix: "entry:", limit })
    .pipe(Effect.map((hits) => hits.flatMap((hit) => (Schema.is(Entry)(hit.value) ? [hit.value] : []))))
}

/** The prompt's part about the entries found: titles, links and texts; none without entries. */
export const knowledgeMessage = (entries: ReadonlyArray<Entry>): Array<ChatMessage> =>
  entries.length === 0
    ? []
    : [
        {
          role: "system",
          content:
            "Entries of the team's knowledge base that may help; rely on them, and give the link when one answers the client:\n\n" +
            entries
              .map(
                (entry, index) =>
                  `${index + 1}. ${entry.title} (${entry.link})\n${entry.text.slice(0, maxEntryText)}`
              )
              .join("\n\n")
        }
      ]
