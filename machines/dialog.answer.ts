import { keptAnswers } from "./dialog.guards.ts"
import { autoCloseTimer, copyTo, statusChange } from "./dialog.relay.ts"
import type { StepArgs } from "./dialog.steps.ts"
import { send, splitText } from "./dialog.text.ts"
import { refOf } from "./dialog.types.ts"

// `dialog.answer`: an answer a plugin sends for the team. It is posted in the topic first, so that
// the client's copy is a copy of a topic message like an operator's answer (`message_map` links the
// two: the client's replies come back to it, reactions cross), then copied to the client.

/** How many answers may wait for their record in the topic (more are a stuck outbox: oldest dropped). */
const keptAnswering = 20

const nameOf = (by: { readonly first_name: string; readonly username?: string }) =>
  by.username === undefined ? by.first_name : `${by.first_name} (@${by.username})`

export const answerSteps = {
  /** Posts the answer in the topic (its result comes back as `dialog.answerPosted`); answered now. */
  post: ({ context, event, enqueue }: StepArgs) => {
    if (event.type !== "dialog.answer" || context.threadId === null) return
    const parts = splitText(event.text.trim())
    if (parts.length === 0) return
    const place = { message_thread_id: context.threadId }
    if (event.replyTo === undefined) {
      const via = event.via === undefined ? "" : ` through ${event.via}`
      enqueue.emit(
        send(context, context.groupId!, "sendMessage", {
          ...place,
          text: `✉️ Sent to the client by ${nameOf(event.by)}${via}:`
        })
      )
    }
    parts.forEach((text, index) =>
      enqueue.emit(
        send(
          context,
          context.groupId!,
          "sendMessage",
          {
            ...place,
            text,
            ...(event.replyTo === undefined || index > 0
              ? {}
              : { reply_parameters: { message_id: event.replyTo, allow_sending_without_reply: true } })
          },
          { replyAs: "dialog.answerPosted" }
        )
      )
    )
    const waiting = parts.map((text) => ({ by: event.by.id, text }))
    enqueue.assign({ answering: [...context.answering, ...waiting].slice(-keptAnswering) })
    if (context.status === "closed") return
    // As an operator's answer: AUTOCLOSE counts from now, the title shows it answered.
    if (context.settings !== null) enqueue.emit(autoCloseTimer(context.settings.autoCloseHours))
    for (const change of statusChange(context, "answered", event.by.id)) enqueue.emit(change)
    enqueue.assign({ status: "answered" })
  },
  /** The answer is in the topic: copied to the client from there, told to plugins. */
  copy: ({ context, event, enqueue }: StepArgs) => {
    if (event.type !== "dialog.answerPosted" || event.messageId === null) return
    const text = event.result?.text
    const index = Math.max(
      0,
      context.answering.findIndex((answer) => answer.text === text)
    )
    const answer = context.answering[index]
    if (answer === undefined || context.threadId === null) return
    enqueue.emit(copyTo(context, "client", [event.messageId]))
    enqueue.emit({
      type: "dialog.teamAnswered",
      ...refOf(context),
      messageId: event.messageId,
      by: answer.by,
      text: answer.text
    })
    const resend = { messageId: event.messageId, method: "sendMessage", params: { text: answer.text } }
    enqueue.assign({
      answering: context.answering.filter((_, at) => at !== index),
      answers: [...context.answers, resend].slice(-keptAnswers),
      blocked: false
    })
  }
}
