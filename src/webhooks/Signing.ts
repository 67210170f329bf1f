import { createHmac, randomBytes, timingSafeEqual } from "node:crypto"

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): the secret is `whsec_` and the
 * base64 of the key; a message is signed as `v1,` and the base64 HMAC-SHA256 of
 * `<webhook-id>.<webhook-timestamp>.<body>` with the key.
 */

/** A new signing secret: `whsec_` and 24 random bytes in base64. */
export const newSecret = () => `whsec_${randomBytes(24).toString("base64")}`

/** The key of a `whsec_…` secret (a secret without the prefix is taken as base64 too, as the spec's libraries do). */
const keyOf = (secret: string) => Buffer.from(secret.replace(/^whsec_/, ""), "base64")

/** The `webhook-signature` value of one message: `v1,<base64>`. */
export const sign = (secret: string, id: string, timestamp: number, body: string) =>
  `v1,${createHmac("sha256", keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest("base64")}`

/** The three headers a signed request carries. */
export const signedHeaders = (secret: string, id: string, timestamp: number, body: string) => ({
  "webhook-id": id,
  "webhook-timestamp": String(timestamp),
  "webhook-signature": sign(secret, id, timestamp, body)
})

/**
 * Whether `signatures` (a `webhook-signature` header: space-separated `v1,<base64>` entries) holds
 * the signature of the message. For receivers written in TypeScript; Backline only signs.
 */
export const verify = (secret: string, id: string, timestamp: number, body: string, signatures: string) => {
  const expected = Buffer.from(sign(secret, id, timestamp, body))
  return signatures.split(" ").some((candidate) => {
    const given = Buffer.from(candidate)
    return given.length === expected.length && timingSafeEqual(given, expected)
  })
}
