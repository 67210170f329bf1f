/**
 * What changed in the sandbox, as the control API's event stream (`GET /sandbox/v1/events`) tells
 * it. Events say where something changed, not what a viewer sees: a page or a test reads the chat
 * again through the control API, as the user whose view it shows.
 */
export interface SandboxEvent {
  /**
   * `message`: a message was stored (a person's, a bot's or a service message); `edit`, `reaction`,
   * `deletion`, `callback`: a person edited, reacted, deleted or pressed a button; `topic`: a person
   * created, closed, reopened or deleted a topic; `member`: membership or a block changed;
   * `bot_api`: a bot's Bot API call that changes something (`method` names it) succeeded.
   */
  readonly type: "message" | "edit" | "reaction" | "deletion" | "callback" | "topic" | "member" | "bot_api"
  /** The chat, as a bot would name it: a group's id, or in a private chat the person's id. */
  readonly chat_id?: number
  readonly message_id?: number
  readonly message_thread_id?: number
  /** For `bot_api`: the method, as the bot spelled it. */
  readonly method?: string
}

// Bot API calls that only read, or change nothing a person sees in a chat.
const quiet =
  /^(get|answerinlinequery|sendchataction|setwebhook|deletewebhook|setmycommands|deletemycommands)/i

/** Listeners of the sandbox's events; emitting never throws into the sandbox. */
export class SandboxEvents {
  private readonly listeners = new Set<(event: SandboxEvent) => void>()

  /** Calls `listener` with every event from now on; answers a function that stops it. */
  subscribe(listener: (event: SandboxEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  get size(): number {
    return this.listeners.size
  }

  emit(event: SandboxEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event)
      } catch (error) {
        console.error("sandbox: an event listener failed", error)
      }
    }
  }

  /** A successful Bot API call: an event unless the method only reads. */
  botCall(method: string, chatId: unknown): void {
    if (this.listeners.size === 0 || quiet.test(method)) return
    const chat = typeof chatId === "number" ? chatId : Number(chatId)
    this.emit({ type: "bot_api", method, ...(Number.isFinite(chat) ? { chat_id: chat } : {}) })
  }
}
