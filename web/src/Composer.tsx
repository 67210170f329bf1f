import type { ComponentChildren } from "preact"
import { useState } from "preact/hooks"
import type { UploadKind } from "./api.ts"

const pickers: ReadonlyArray<{ kind: UploadKind; label: string; accept: string }> = [
  { kind: "photo", label: "Photo", accept: "image/*" },
  { kind: "document", label: "Document", accept: "" },
  { kind: "voice", label: "Voice note", accept: "audio/*,.ogg,.oga,.opus" }
]

/** A text box with a Send button (Enter sends); optionally file pickers that send the text as caption. */
export const Composer = (props: {
  readonly label: string
  readonly placeholder: string
  readonly onSend: (text: string) => Promise<void>
  readonly onFile?: (kind: UploadKind, file: File, caption: string) => Promise<void>
  readonly children?: ComponentChildren
}) => {
  const [text, setText] = useState("")
  const [busy, setBusy] = useState(false)
  const run = async (action: () => Promise<void>) => {
    setBusy(true)
    try {
      await action()
      setText("")
    } finally {
      setBusy(false)
    }
  }
  return (
    <form
      class="composer"
      onSubmit={(event) => {
        event.preventDefault()
        if (text.trim() !== "") void run(() => props.onSend(text))
      }}
    >
      {props.children}
      <div class="line">
        <input
          type="text"
          aria-label={props.label}
          placeholder={props.placeholder}
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy}>
          Send
        </button>
      </div>
      {props.onFile && (
        <div class="files">
          {pickers.map(({ kind, label, accept }) => (
            <label class="file" key={kind}>
              <span>{label}</span>
              <input
                type="file"
                accept={accept}
                aria-label={`Send a ${label.toLowerCase()}`}
                onChange={(e) => {
                  const input = e.currentTarget
                  const file = input.files?.[0]
                  if (file && props.onFile)
                    void run(() => props.onFile!(kind, file, text)).then(() => (input.value = ""))
                }}
              />
            </label>
          ))}
        </div>
      )}
    </form>
  )
}
