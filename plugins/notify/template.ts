/**
 * Message templates: text with `{{field.path}}` placeholders filled from an event's body. Nothing
 * is evaluated: a path only walks the body's own fields (`order.items.0.name`), values and the
 * template's own text are HTML-escaped, and a field the body lacks shows as `(no field.path)`.
 */

const placeholder = /\{\{([^{}]*)\}\}/g
const path = /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/

/** At most this many characters of one value. */
const VALUE_MAX = 500

export const html = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")

/**
 * What is wrong with a template, if anything: an unclosed `{{`, a stray `}}`, or a placeholder that
 * is not a dotted path.
 *
 * @example
 * templateProblem("Paid {{ amount }}") // undefined
 * templateProblem("Paid {{amount") // "“{{amount” is not closed with }}"
 */
export const templateProblem = (template: string): string | undefined => {
  for (const match of template.matchAll(placeholder)) {
    const inner = match[1]!.trim()
    if (!path.test(inner)) return `{{${match[1]}}} is not a field path such as {{order.id}}`
  }
  const rest = template.replace(placeholder, "")
  const open = rest.indexOf("{{")
  if (open >= 0) return `“${rest.slice(open, open + 20)}” is not closed with }}`
  if (rest.includes("}}")) return "}} closes no {{"
  return undefined
}

// The body's own field at `dotted`, or undefined (never an inherited property such as `constructor`).
const lookup = (body: unknown, dotted: string): unknown => {
  let value = body
  for (const key of dotted.split(".")) {
    if (typeof value !== "object" || value === null || !Object.prototype.hasOwnProperty.call(value, key))
      return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return value
}

const show = (value: unknown, dotted: string) => {
  const text =
    value === undefined
      ? `(no ${dotted})`
      : typeof value === "string"
        ? value
        : typeof value === "number" || typeof value === "boolean" || value === null
          ? String(value)
          : JSON.stringify(value)
  return text.length > VALUE_MAX ? `${text.slice(0, VALUE_MAX - 1)}…` : text
}

/**
 * Fills `template` from `body`; with `escape` (for messages sent as HTML), everything is
 * HTML-escaped; without it (dedup keys), the plain text.
 *
 * @example
 * render("Paid {{amount}} by {{customer.name}}", { amount: 5, customer: {} }, true)
 * // "Paid 5 by (no customer.name)"
 */
export const render = (template: string, body: unknown, escape: boolean) => {
  const out = (text: string) => (escape ? html(text) : text)
  let result = ""
  let at = 0
  for (const match of template.matchAll(placeholder)) {
    result +=
      out(template.slice(at, match.index)) + out(show(lookup(body, match[1]!.trim()), match[1]!.trim()))
    at = match.index + match[0].length
  }
  return result + out(template.slice(at))
}
