import type { Message } from "grammy/types"
import { useState } from "preact/hooks"
import { nameOf, type Reactions } from "./api.ts"

const reactionChoices = ["👍", "❤", "🔥", "🎉", "🙏"]

/** What a message holds besides its text, as a short label ("Photo", "Document report.pdf"). */
export const mediaLabel = (m: Message): string | undefined => {
  if (m.photo) return "📷 Photo"
  if (m.document) return `📄 Document ${m.document.file_name ?? ""}`.trim()
  if (m.voice) return `🎤 Voice note${m.voice.duration ? ` ${m.voice.duration}s` : ""}`
  if (m.video_note) return "⏺ Video note"
  if (m.video) return "🎬 Video"
  if (m.audio) return `🎵 Audio ${m.audio.title ?? m.audio.file_name ?? ""}`.trim()
  if (m.animation) return "GIF"
  if (m.sticker) return `Sticker ${m.sticker.emoji ?? ""}`.trim()
  if (m.location) return `📍 Location ${m.location.latitude}, ${m.location.longitude}`
  if (m.contact) return `👤 Contact ${m.contact.first_name} ${m.contact.phone_number}`
  return undefined
}

/** A service message ("topic created", "topic closed") as one line, or undefined for a normal message. */
export const serviceLine = (m: Message): string | undefined => {
  if (m.forum_topic_created) return `Topic “${m.forum_topic_created.name}” created`
  if (m.forum_topic_edited)
    return `Topic renamed${m.forum_topic_edited.name ? ` to “${m.forum_topic_edited.name}”` : ""}`
  if (m.forum_topic_closed) return "Topic closed"
  if (m.forum_topic_reopened) return "Topic reopened"
  if (m.pinned_message) return "Message pinned"
  if (m.new_chat_members) return `${m.new_chat_members.map(nameOf).join(", ")} joined`
  if (m.left_chat_member) return `${nameOf(m.left_chat_member)} left`
  return undefined
}

export interface MessageActions {
  readonly edit: (message: Message, text: string) => void
  readonly react: (message: Message, emoji: string) => void
  readonly press: (message: Message, data: string) => void
}

/** One message as its viewer sees it, with what the viewer may do to it. */
export const MessageView = (props: {
  readonly message: Message
  readonly viewer: number
  readonly reactions: ReadonlyArray<Reactions> | undefined
  readonly actions: MessageActions
}) => {
  const { message: m, viewer, actions } = props
  const [editing, setEditing] = useState(false)
  const [draft, setDraft] = useState("")
  const [reacting, setReacting] = useState(false)
  const service = serviceLine(m)
  if (service !== undefined)
    return (
      <li class="service" data-message-id={m.message_id}>
        {service}
      </li>
    )
  const mine = m.from?.id === viewer
  const body = m.text ?? m.caption
  const media = mediaLabel(m)
  const keyboard = m.reply_markup?.inline_keyboard ?? []
  const counts = new Map<string, number>()
  for (const entry of props.reactions ?? [])
    for (const r of entry.reaction) {
      const key = r.type === "emoji" ? r.emoji : "★"
      counts.set(key, (counts.get(key) ?? 0) + 1)
    }
  const time = new Date(m.date * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
  return (
    <li class={mine ? "bubble mine" : "bubble"} data-message-id={m.message_id}>
      <div class="meta">
        <span class="sender">{m.from ? nameOf(m.from) : (m.sender_chat?.title ?? "")}</span>
        <span class="time">
          {time}
          {m.edit_date ? " · edited" : ""}
        </span>
      </div>
      {media && <div class="media">{media}</div>}
      {editing ? (
        <form
          class="edit"
          onSubmit={(event) => {
            event.preventDefault()
            actions.edit(m, draft)
            setEditing(false)
          }}
        >
          <input
            aria-label="New text"
            value={draft}
            onInput={(e) => setDraft(e.currentTarget.value)}
            ref={(el) => el?.focus()}
          />
          <button type="submit">Save</button>
          <button type="button" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </form>
      ) : (
        body !== undefined && <div class="text">{body}</div>
      )}
      {keyboard.length > 0 && (
        <div class="keyboard" role="group" aria-label="Inline buttons">
          {keyboard.map((row, i) => (
            <div class="row" key={i}>
              {row.map((button) =>
                "url" in button && button.url ? (
                  <a class="button" href={button.url} target="_blank" rel="noreferrer">
                    {button.text}
                  </a>
                ) : (
                  <button
                    type="button"
                    onClick={() =>
                      actions.press(m, "callback_data" in button ? (button.callback_data ?? "") : "")
                    }
                  >
                    {button.text}
                  </button>
                )
              )}
            </div>
          ))}
        </div>
      )}
      {counts.size > 0 && (
        <div class="reactions" aria-label="Reactions">
          {[...counts].map(([emoji, count]) => (
            <span class="chip" key={emoji}>
              {emoji} {count}
            </span>
          ))}
        </div>
      )}
      <div class="actions">
        {mine && body !== undefined && !editing && (
          <button
            type="button"
            class="small"
            aria-label={`Edit message ${m.message_id}`}
            onClick={() => {
              setDraft(body)
              setEditing(true)
            }}
          >
            Edit
          </button>
        )}
        {!mine && (
          <button
            type="button"
            class="small"
            aria-expanded={reacting}
            aria-label={`React to message ${m.message_id}`}
            onClick={() => setReacting(!reacting)}
          >
            React
          </button>
        )}
        {reacting &&
          reactionChoices.map((emoji) => (
            <button
              type="button"
              class="small"
              key={emoji}
              aria-label={`React with ${emoji}`}
              onClick={() => {
                actions.react(m, emoji)
                setReacting(false)
              }}
            >
              {emoji}
            </button>
          ))}
      </div>
    </li>
  )
}
