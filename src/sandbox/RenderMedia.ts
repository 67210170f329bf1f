import type { Message } from "grammy/types"
import type { StoredMessage } from "./Model.ts"
import type { RenderSource } from "./RenderChat.ts"

/** The media fields of a message; file ids are the viewer's own. */
export const renderMedia = (
  source: RenderSource,
  message: StoredMessage,
  viewer: number
): Partial<Message> => {
  const media = message.media
  if (media === undefined) return {}
  if (media.kind === "photo") return { photo: media.sizes.map((no) => source.files.photoSize(no, viewer)) }
  const file = source.files.get(media.file)
  const ids = { file_id: source.files.fileId(media.file, viewer), file_unique_id: file.uniqueId }
  const name = file.fileName !== undefined ? { file_name: file.fileName } : {}
  const mime = file.mimeType !== undefined ? { mime_type: file.mimeType } : {}
  const size = { file_size: file.data.length }
  const duration = media.duration ?? 0
  switch (media.kind) {
    case "document":
      return { document: { ...ids, ...name, ...mime, ...size } }
    case "video":
      return {
        video: {
          ...ids,
          width: media.width ?? 0,
          height: media.height ?? 0,
          duration,
          ...name,
          ...mime,
          ...size
        }
      }
    case "animation": {
      const animation = {
        ...ids,
        width: media.width ?? 0,
        height: media.height ?? 0,
        duration,
        ...name,
        ...mime,
        ...size
      }
      return { animation, document: { ...ids, ...name, ...mime, ...size } }
    }
    case "voice":
      return { voice: { ...ids, duration, ...mime, ...size } }
    case "video_note":
      return { video_note: { ...ids, length: media.length ?? 240, duration, ...size } }
    case "audio":
      return {
        audio: {
          ...ids,
          duration,
          ...(media.performer !== undefined ? { performer: media.performer } : {}),
          ...(media.title !== undefined ? { title: media.title } : {}),
          ...name,
          ...mime,
          ...size
        }
      }
    case "sticker":
      return {
        sticker: {
          ...ids,
          type: "regular",
          width: media.width ?? 512,
          height: media.height ?? 512,
          is_animated: file.mimeType === "application/x-tgsticker",
          is_video: file.mimeType === "video/webm",
          ...(media.emoji !== undefined ? { emoji: media.emoji } : {}),
          ...size
        }
      }
  }
}
