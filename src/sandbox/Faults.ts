/**
 * An injected failure: the next `count` calls of `method` (in `chat_id`, when given) fail with
 * Telegram's error, lose their connection (`drop`) or get no answer (`timeout`; with `delay_ms`
 * the call is answered normally after that delay instead).
 */
export interface FaultSpec {
  readonly method: string
  readonly chat_id?: number | string
  readonly kind: "error" | "drop" | "timeout"
  readonly error_code?: number
  readonly description?: string
  readonly retry_after?: number
  readonly delay_ms?: number
  count: number
}

export class Faults {
  private readonly specs: Array<FaultSpec> = []

  add(spec: FaultSpec): void {
    this.specs.push(spec)
  }

  clear(): void {
    this.specs.length = 0
  }

  get size(): number {
    return this.specs.length
  }

  /** The fault that applies to this call, if any, counted as used. */
  take(method: string, chatId: unknown): FaultSpec | undefined {
    if (this.specs.length === 0) return undefined
    const name = method.toLowerCase()
    const index = this.specs.findIndex(
      (spec) =>
        spec.method.toLowerCase() === name &&
        (spec.chat_id === undefined || String(spec.chat_id) === String(chatId))
    )
    const spec = this.specs[index]
    if (spec === undefined) return undefined
    spec.count -= 1
    if (spec.count <= 0) this.specs.splice(index, 1)
    return spec
  }
}
