/** Telegram's longest message text. */
export const maxTextLength = 4096

/**
 * Splits a text longer than Telegram allows into parts that fit, at a line break or a space when
 * there is one in the second half of a part.
 *
 * @example
 * splitText("a".repeat(5000)) // ["a".repeat(4096), "a".repeat(904)]
 */
export const splitText = (text: string, limit = maxTextLength): Array<string> => {
  const parts: Array<string> = []
  let rest = text
  while (rest.length > limit) {
    const window = rest.slice(0, limit)
    const cut = Math.max(window.lastIndexOf("\n"), window.lastIndexOf(" "))
    const at = cut > limit / 2 ? cut : limit
    parts.push(rest.slice(0, at))
    rest = rest.slice(at).replace(/^[\n ]/, "")
  }
  return [...parts, rest]
}
