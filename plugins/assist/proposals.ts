import { Effect, Option, Schema } from "effect"
import type { CommandIssued, PluginContext, PluginEventOf } from "../../src/plugins/definePlugin.ts"
import { Dialog, dialogKey } from "./history.ts"

/** What a proposal handler needs of the configuration: nothing, so any assist context will do. */
type Ctx = PluginContext<unknown>

/** A proposal waiting for Send, Edit or Discard, by the id of the command that asked for it. */
const Proposal = Schema.Struct({ text: Schema.String, kind: Schema.Literal("draft", "fix") })
const proposalKey = (id: string) => `proposal:${id}`

const html = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")

/** Posts `text` in the topic with its buttons; the proposal is kept until one is pressed. */
export const propose = (command: CommandIssued, ctx: Ctx, kind: "draft" | "fix", text: string) =>
  Effect.gen(function* () {
    const id = String(command.messageId)
    yield* ctx.storage.topic.set(proposalKey(id), { text, kind })
    const buttons = [
      { text: "Send", callback_data: `assist:send:${id}` },
      ...(kind === "draft" ? [{ text: "Edit", callback_data: `assist:edit:${id}` }] : []),
      { text: "Discard", callback_data: `assist:discard:${id}` }
    ]
    const title = kind === "draft" ? "📝 Draft answer" : "✏️ Corrected"
    yield* ctx.reply(`<b>${title}</b> (not sent yet)\n\n${html(text)}`, {
      parse_mode: "HTML",
      reply_markup: { inline_keyboard: [buttons] }
    })
  })

/** Send, Edit and Discard under a proposal (`assist:<action>:<id>`). */
export const pressed = (event: PluginEventOf<"group.buttonPressed">, ctx: Ctx) =>
  Effect.gen(function* () {
    const [, action, id = ""] = (event.data ?? "").split(":")
    const answer = (text: string) =>
      ctx.call("answerCallbackQuery", { chat_id: event.chatId, callback_query_id: event.callbackId, text })
    const proposal = yield* ctx.storage.topic
      .get(proposalKey(id), Proposal)
      .pipe(Effect.orElseSucceed(() => Option.none()))
    if (Option.isNone(proposal)) return yield* answer("This proposal was already used or discarded.")
    const { text } = proposal.value
    const where = event.messageId
    const edit = (body: string) =>
      where === null
        ? Effect.void
        : ctx.call("editMessageText", {
            chat_id: event.chatId,
            message_id: where,
            text: body,
            parse_mode: "HTML"
          })
    if (action === "send") {
      const dialog = yield* inDialogPlace(ctx)
      if (Option.isNone(dialog)) return yield* answer("Only a client's topic can send to the client.")
      yield* ctx.storage.topic.delete(proposalKey(id))
      yield* edit(`✅ <b>Sent to the client</b> by ${html(event.from.first_name)}\n\n${html(text)}`)
      // Through the dialog, as an operator's answer: answered, mapped for replies, in the history.
      yield* ctx.send("dialog", `${dialog.value.connection}:${dialog.value.peerId}`, {
        type: "dialog.answer",
        text,
        by: event.from,
        via: "assist",
        ...(where === null ? {} : { replyTo: where })
      })
      return yield* answer("Sent")
    }
    if (action === "edit") {
      yield* ctx.storage.topic.delete(proposalKey(id))
      yield* edit(
        `📝 <b>Draft</b>, to change and send yourself (tap it to copy):\n\n<pre>${html(text)}</pre>`
      )
      return yield* answer("Tap the text to copy it, change it and send it")
    }
    if (action === "discard") {
      yield* ctx.storage.topic.delete(proposalKey(id))
      if (where !== null) yield* ctx.deleteMessage(event.chatId, where)
      return yield* answer("Discarded")
    }
  })

const inDialogPlace = (ctx: Ctx) =>
  ctx.storage.topic.get(dialogKey, Dialog).pipe(Effect.orElseSucceed(() => Option.none<Dialog>()))
