import { Duration } from "effect"
import type { PostOutcome } from "../webhooks/SignedPost.ts"

/** How long a webhook-backed command waits for its service (below the plugin host's 10 s per event). */
export const commandTimeout = Duration.seconds(8)

/**
 * What to post in the topic for a service's answer to `/name`: the `text` of a JSON answer
 * (`{ "text": "…" }`) or a plain-text body; otherwise a short notice of what went wrong.
 */
export const answerText = (name: string, outcome: PostOutcome): string => {
  const failed = (why: string) => `/${name} could not be answered: ${why}.`
  if (outcome._tag === "NoAnswer")
    return failed(
      outcome.error.startsWith("no answer within")
        ? `the service did not answer within ${Duration.format(commandTimeout)}`
        : `the service could not be reached (${outcome.error})`
    )
  if (outcome.status < 200 || outcome.status >= 300)
    return failed(`the service answered HTTP ${outcome.status}`)
  if (/^application\/([\w.+-]+\+)?json/i.test(outcome.contentType)) {
    try {
      const parsed: unknown = JSON.parse(outcome.text)
      const text = typeof parsed === "object" && parsed !== null && "text" in parsed ? parsed.text : undefined
      if (typeof text !== "string") return failed(`the service's JSON answer has no "text"`)
      return text.trim() === "" ? failed("the service answered an empty text") : text
    } catch {
      return failed("the service's answer is not valid JSON")
    }
  }
  return outcome.text.trim() === "" ? failed("the service answered nothing") : outcome.text
}
