import type { Message } from "grammy/types"
import type { Transcript } from "../../src/assistants/Transcription.ts"

/** The kinds of media the plugin transcribes. */
export type MediaKind = "voice" | "video_note" | "audio" | "video"

/** A message's audio or video, as Telegram describes it. */
export interface Media {
  readonly kind: MediaKind
  readonly fileId: string
  readonly uniqueId: string
  /** Seconds, as Telegram says (0 when it does not know). */
  readonly duration: number
  readonly size: number | undefined
  readonly mimeType: string | undefined
}

const names: Record<MediaKind, string> = {
  voice: "voice message",
  video_note: "video message",
  audio: "audio file",
  video: "video"
}

/** How the team is told what was transcribed (`voice message`, `video`). */
export const nameOf = (kind: MediaKind) => names[kind]

/** The audio or video of `message`, if it carries one. */
export const mediaOf = (message: Message): Media | undefined => {
  const found =
    message.voice !== undefined
      ? { kind: "voice" as const, file: message.voice }
      : message.video_note !== undefined
        ? { kind: "video_note" as const, file: message.video_note }
        : message.audio !== undefined
          ? { kind: "audio" as const, file: message.audio }
          : message.video !== undefined
            ? { kind: "video" as const, file: message.video }
            : undefined
  if (found === undefined) return undefined
  const file = found.file as {
    file_id: string
    file_unique_id: string
    duration?: number
    file_size?: number
    mime_type?: string
  }
  return {
    kind: found.kind,
    fileId: file.file_id,
    uniqueId: file.file_unique_id,
    duration: file.duration ?? 0,
    size: file.file_size,
    mimeType: file.mime_type
  }
}

/** `75.4` → `1:15`. */
export const clock = (seconds: number) => {
  const whole = Math.round(seconds)
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`
}

/** `2048` → `2 KB`, `20000000` → `19.1 MB`. */
export const bytes = (count: number) =>
  count >= 1024 * 1024 ? `${(count / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(count / 1024)} KB`

/** The reply in the topic: marked as a transcript, with the language and duration when known. */
export const transcriptText = (kind: MediaKind, transcript: Transcript) => {
  const facts = [
    transcript.language,
    transcript.duration === undefined ? undefined : clock(transcript.duration)
  ].filter((fact): fact is string => fact !== undefined && fact !== "")
  const head = `📝 Transcript of the ${nameOf(kind)}${facts.length === 0 ? "" : ` (${facts.join(", ")})`}:`
  return `${head}\n${transcript.text === "" ? "(no speech heard)" : transcript.text}`
}

/** A note in the topic that this media was not transcribed, and why. */
export const notTranscribed = (kind: MediaKind, reason: string) =>
  `⚠️ The ${nameOf(kind)} was not transcribed: ${reason}`

/** The file name and type the backend gets. */
export const uploadOf = (media: Media, path: string, converted: boolean) => {
  if (converted) return { fileName: `${media.kind}.wav`, mimeType: "audio/wav" }
  const ext = /\.([A-Za-z0-9]{1,8})$/.exec(path)?.[1] ?? (media.kind === "voice" ? "ogg" : "mp4")
  const mimeType =
    media.mimeType ??
    (media.kind === "voice" ? "audio/ogg" : media.kind === "audio" ? "audio/mpeg" : "video/mp4")
  // Telegram names voice files `.oga`; OpenAI-compatible servers know the format as `.ogg`.
  return { fileName: `${media.kind}.${ext === "oga" ? "ogg" : ext}`, mimeType }
}
