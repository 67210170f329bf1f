import { badRequest } from "../BotApiError.ts"
import { formatText } from "../Entities.ts"
import type { FileKind } from "../Files.ts"
import type { Content } from "../Messaging.ts"
import type { StoredMedia } from "../Model.ts"
import type { Params } from "../Params.ts"
import { botId, entitiesOf, type MethodContext } from "./Context.ts"

const mimeTypes: Record<string, string> = {
  pdf: "application/pdf",
  txt: "text/plain",
  csv: "text/csv",
  json: "application/json",
  zip: "application/zip",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  gif: "image/gif",
  webp: "image/webp",
  mp4: "video/mp4",
  webm: "video/webm",
  ogg: "audio/ogg",
  oga: "audio/ogg",
  mp3: "audio/mpeg",
  m4a: "audio/mp4",
  tgs: "application/x-tgsticker"
}

const defaultMime: Partial<Record<FileKind, string>> = {
  voice: "audio/ogg",
  video: "video/mp4",
  animation: "video/mp4",
  audio: "audio/mpeg"
}

export const guessMime = (fileName: string | undefined, kind: FileKind): string | undefined =>
  mimeTypes[/\.([a-z0-9]+)$/i.exec(fileName ?? "")?.[1]?.toLowerCase() ?? ""] ?? defaultMime[kind]

/** Numbers describing a media file, as the sender states them. */
export interface MediaMeta {
  readonly duration?: number | undefined
  readonly width?: number | undefined
  readonly height?: number | undefined
  readonly length?: number | undefined
  readonly performer?: string | undefined
  readonly title?: string | undefined
  readonly emoji?: string | undefined
}

export const compact = <T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>
  }

/**
 * A media parameter: a file id of this bot's, an uploaded file (`attach://name` or a part named
 * like the field) or a URL. URLs are not fetched: a placeholder file holding the URL is stored.
 */
export const mediaOf = (
  ctx: MethodContext,
  field: string,
  kind: FileKind,
  value: unknown,
  meta: MediaMeta
): StoredMedia => {
  const files = ctx.world.files
  const text = typeof value === "string" ? value : undefined
  const attached =
    text?.startsWith("attach://") === true ? ctx.params.files.get(text.slice(9)) : ctx.params.files.get(field)
  if (text?.startsWith("attach://") === true && attached === undefined)
    throw badRequest(`wrong HTTP URL specified`)
  if (attached !== undefined || /^https?:\/\//i.test(text ?? "")) {
    const data = attached?.data ?? Buffer.from(text ?? "")
    const fileName = attached?.filename ?? decodeURIComponent(new URL(text!).pathname.split("/").pop() ?? "")
    if (kind === "photo") return { kind: "photo", sizes: files.addPhoto(data) }
    const named =
      fileName !== "" && kind !== "voice" && kind !== "video_note" && kind !== "sticker" ? { fileName } : {}
    const mime =
      attached?.contentType !== undefined && attached.contentType !== "application/octet-stream"
        ? attached.contentType
        : guessMime(fileName, kind)
    const record = files.add(kind, data, { ...named, ...(mime !== undefined ? { mimeType: mime } : {}) })
    return { kind, file: record.no, ...compact(meta) }
  }
  if (text === undefined) throw badRequest(`there is no ${field} in the request`)
  const record = files.resolve(text, botId(ctx))
  if (record.kind !== kind) throw badRequest("type of file mismatch")
  if (kind === "photo") return { kind: "photo", sizes: record.photo ?? [record.no] }
  return { kind, file: record.no, ...compact(meta) }
}

export const captionOf = (params: Params, prefix = ""): Pick<Content, "caption" | "captionEntities"> => {
  const source = params.optString(`${prefix}caption`)
  if (source === undefined) return {}
  const { text, entities } = formatText(
    source,
    params.optString(`${prefix}parse_mode`),
    entitiesOf(params, `${prefix}caption_entities`)
  )
  return { caption: text, captionEntities: entities }
}

export const metaOf = (params: Params): MediaMeta => ({
  duration: params.optInt("duration"),
  width: params.optInt("width"),
  height: params.optInt("height"),
  length: params.optInt("length"),
  performer: params.optString("performer"),
  title: params.optString("title"),
  emoji: params.optString("emoji")
})
