import { describe, expect, it } from "vitest"
import { answerText } from "../../../src/commands/CommandAnswer.ts"

const answered = (status: number, contentType: string, text: string) =>
  ({ _tag: "Answered", status, contentType, text, latencyMs: 5 }) as const

describe("what a webhook-backed command posts for its service's answer", () => {
  it("the text of a JSON answer or of a plain one; a notice for anything else", () => {
    expect(answerText("invoice", answered(200, "application/json; charset=utf-8", '{"text":"Paid."}'))).toBe(
      "Paid."
    )
    expect(answerText("invoice", answered(200, "text/plain", "Paid, twice.\n"))).toBe("Paid, twice.\n")
    expect(answerText("invoice", answered(500, "text/plain", "boom"))).toBe(
      "/invoice could not be answered: the service answered HTTP 500."
    )
    expect(answerText("invoice", answered(200, "application/json", '{"message":"x"}'))).toBe(
      `/invoice could not be answered: the service's JSON answer has no "text".`
    )
    expect(answerText("invoice", answered(200, "application/json", "{oops"))).toBe(
      "/invoice could not be answered: the service's answer is not valid JSON."
    )
    expect(answerText("invoice", answered(204, "", ""))).toBe(
      "/invoice could not be answered: the service answered nothing."
    )
    expect(answerText("invoice", { _tag: "NoAnswer", error: "no answer within 8s", latencyMs: 8000 })).toBe(
      "/invoice could not be answered: the service did not answer within 8s."
    )
    expect(
      answerText("invoice", { _tag: "NoAnswer", error: "connect ECONNREFUSED 127.0.0.1:9", latencyMs: 1 })
    ).toBe(
      "/invoice could not be answered: the service could not be reached (connect ECONNREFUSED 127.0.0.1:9)."
    )
  })
})
