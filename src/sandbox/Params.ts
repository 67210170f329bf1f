import { badRequest } from "./BotApiError.ts"

/** An uploaded multipart file part. */
export interface Upload {
  readonly filename: string
  readonly contentType: string
  readonly data: Buffer
}

/**
 * Bot API parameters read the loose way Telegram reads them: numbers may arrive as strings,
 * booleans as `"True"`/`"true"`/`"1"`, arrays and objects as JSON text in form fields.
 */
export class Params {
  constructor(
    readonly fields: Readonly<Record<string, unknown>>,
    readonly files: ReadonlyMap<string, Upload> = new Map()
  ) {}

  has(name: string): boolean {
    const value = this.fields[name]
    return value !== undefined && value !== null && value !== ""
  }

  raw(name: string): unknown {
    const value = this.fields[name]
    return value === null || value === "" ? undefined : value
  }

  optString(name: string): string | undefined {
    const value = this.raw(name)
    if (value === undefined) return undefined
    if (typeof value === "string") return value
    if (typeof value === "number" || typeof value === "boolean") return String(value)
    return JSON.stringify(value)
  }

  string(name: string, emptyMessage = `${name} is empty`): string {
    const value = this.optString(name)
    if (value === undefined) throw badRequest(emptyMessage)
    return value
  }

  optInt(name: string): number | undefined {
    const value = this.raw(name)
    if (value === undefined) return undefined
    const number = typeof value === "number" ? value : typeof value === "string" ? Number(value.trim()) : NaN
    if (!Number.isInteger(number)) throw badRequest(`invalid ${name} specified`)
    return number
  }

  int(name: string, emptyMessage = `${name} is empty`): number {
    const value = this.optInt(name)
    if (value === undefined) throw badRequest(emptyMessage)
    return value
  }

  optFloat(name: string): number | undefined {
    const value = this.raw(name)
    if (value === undefined) return undefined
    const number = typeof value === "number" ? value : typeof value === "string" ? Number(value.trim()) : NaN
    if (!Number.isFinite(number)) throw badRequest(`invalid ${name} specified`)
    return number
  }

  bool(name: string): boolean {
    const value = this.raw(name)
    if (value === undefined) return false
    if (typeof value === "boolean") return value
    if (typeof value === "number") return value !== 0
    if (typeof value === "string") return ["true", "1", "yes", "on"].includes(value.trim().toLowerCase())
    return false
  }

  /** An array or object that may arrive as JSON text (form fields) or as JSON itself. */
  optJson<T>(name: string): T | undefined {
    const value = this.raw(name)
    if (value === undefined) return undefined
    if (typeof value !== "string") return value as T
    try {
      return JSON.parse(value) as T
    } catch {
      throw badRequest(`can't parse ${name} JSON object`)
    }
  }

  /** `chat_id`: an integer, or `@username` of a public group or channel. */
  chatId(name = "chat_id"): number | string {
    const value = this.raw(name)
    if (value === undefined) throw badRequest("chat_id is empty")
    if (typeof value === "number") return value
    const text = typeof value === "string" ? value.trim() : ""
    if (/^-?\d+$/.test(text)) return Number(text)
    if (text.startsWith("@")) return text
    throw badRequest("chat not found")
  }

  with(extra: Readonly<Record<string, unknown>>): Params {
    return new Params({ ...this.fields, ...extra }, this.files)
  }
}
