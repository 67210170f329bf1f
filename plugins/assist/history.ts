import { Effect, Option, Schema } from "effect"
import type { ChatMessage } from "../../src/assistants/ChatCompletions.ts"
import type { PluginContext, PluginEventOf } from "../../src/plugins/definePlugin.ts"

/** One line of a dialog as the assistant remembers it. */
export const Line = Schema.Struct({
  from: Schema.Literal("client", "team"),
  text: Schema.String,
  at: Schema.Number
})
export type Line = typeof Line.Type

/** What the topic's storage holds about its dialog: whom to send to, and the recent lines. */
export const Dialog = Schema.Struct({
  connection: Schema.String,
  peerId: Schema.Number,
  lines: Schema.Array(Line)
})
export type Dialog = typeof Dialog.Type

export const dialogKey = "dialog"

type Wrote = PluginEventOf<"dialog.clientWrote"> | PluginEventOf<"dialog.teamAnswered">

/** The longest line kept: enough for a real message, not a pasted log. */
const maxLine = 2000

const textOf = (message: { readonly text?: string; readonly caption?: string }) =>
  message.text ?? message.caption ?? undefined

/**
 * Appends the message of a `dialog.clientWrote` or `dialog.teamAnswered` to the topic's history,
 * keeping the latest `keep` lines. The client's message is read from the inbox by its id in the
 * private chat; the operator's from the inbox by its id in the group (it is the same table).
 */
export const remember = <C>(event: Wrote, ctx: PluginContext<C>, keep: number) =>
  Effect.gen(function* () {
    const client = event.type === "dialog.clientWrote"
    // An answer sent by `dialog.answer` (assist's Send) carries its text: it is the bot's message.
    const given = event.type === "dialog.teamAnswered" ? event.text : undefined
    const found =
      given !== undefined
        ? Option.none()
        : yield* ctx.clientMessage({
            connection: event.connection,
            peerId: client ? event.peerId : event.chatId,
            messageId: event.messageId
          })
    const text = given ?? (Option.isSome(found) ? textOf(found.value.message) : undefined)
    if (text === undefined || text.trim() === "") return
    const store = ctx.storage.at({ chatId: event.chatId, threadId: event.threadId })
    const before = yield* Effect.orElseSucceed(store.get(dialogKey, Dialog), () => Option.none<Dialog>())
    const lines = Option.match(before, { onNone: () => [], onSome: (dialog) => dialog.lines })
    const line: Line = { from: client ? "client" : "team", text: text.slice(0, maxLine), at: Date.now() }
    yield* store.set(dialogKey, {
      connection: event.connection,
      peerId: event.peerId,
      lines: [...lines, line].slice(-keep)
    } satisfies Dialog)
  })

/** The conversation for the model: the prompt, then the client's lines as the user's, the team's as its own. */
export const conversation = (prompt: string, lines: ReadonlyArray<Line>): Array<ChatMessage> => [
  { role: "system", content: prompt },
  ...lines.map((line): ChatMessage => ({
    role: line.from === "client" ? "user" : "assistant",
    content: line.text
  }))
]
