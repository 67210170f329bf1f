import { randomBytes } from "node:crypto"
import type { PhotoSize } from "grammy/types"
import { badRequest } from "./BotApiError.ts"

export type FileKind =
  "photo" | "document" | "video" | "voice" | "video_note" | "audio" | "sticker" | "animation"

export interface FileRecord {
  readonly no: number
  readonly kind: FileKind
  readonly uniqueId: string
  readonly data: Buffer
  readonly path: string
  readonly mimeType?: string
  readonly fileName?: string
  readonly width?: number
  readonly height?: number
  /** For a photo size: every size of the same photo, smallest first. */
  photo?: ReadonlyArray<number>
}

// The first bytes Telegram's own file ids start with for each kind, so ids look familiar in logs.
const prefixes: Record<FileKind, string> = {
  photo: "AgAC",
  document: "BQAC",
  video: "BAAC",
  voice: "AwAC",
  video_note: "DQAC",
  audio: "CQAC",
  sticker: "CAAC",
  animation: "CgAC"
}
const kindOfPrefix = new Map(Object.entries(prefixes).map(([kind, prefix]) => [prefix, kind as FileKind]))

const folders: Record<FileKind, [string, string]> = {
  photo: ["photos", "jpg"],
  document: ["documents", "dat"],
  video: ["videos", "mp4"],
  voice: ["voice", "oga"],
  video_note: ["video_notes", "mp4"],
  audio: ["music", "mp3"],
  sticker: ["stickers", "webp"],
  animation: ["animations", "mp4"]
}

/** Largest side of each size Telegram generates for a photo (s, m, x, y). */
const photoSides = [90, 320, 800, 1280]

/** Width and height of PNG, GIF and JPEG images; undefined for anything else. */
export const imageSize = (data: Buffer): { width: number; height: number } | undefined => {
  if (data.length >= 24 && data.readUInt32BE(0) === 0x89504e47) {
    return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) }
  }
  if (data.length >= 10 && data.toString("latin1", 0, 3) === "GIF") {
    return { width: data.readUInt16LE(6), height: data.readUInt16LE(8) }
  }
  if (data.length >= 4 && data[0] === 0xff && data[1] === 0xd8) {
    let offset = 2
    while (offset + 9 < data.length) {
      if (data[offset] !== 0xff) return undefined
      const marker = data[offset + 1]!
      const length = data.readUInt16BE(offset + 2)
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { height: data.readUInt16BE(offset + 5), width: data.readUInt16BE(offset + 7) }
      }
      offset += 2 + length
    }
  }
  return undefined
}

/**
 * Stored files. A file id names the file for one bot (or user) only, as in Telegram, where a
 * file id cannot be passed from one bot to another; the unique id is the same for everyone.
 */
export class FileStore {
  private readonly files = new Map<number, FileRecord>()
  private readonly paths = new Map<string, FileRecord>()
  private next = 1
  private readonly salt = randomBytes(3).toString("hex")

  add(
    kind: FileKind,
    data: Buffer,
    meta: { mimeType?: string; fileName?: string; width?: number; height?: number } = {}
  ): FileRecord {
    const no = this.next++
    const [folder, defaultExt] = folders[kind]
    const ext = /\.([A-Za-z0-9]{1,8})$/.exec(meta.fileName ?? "")?.[1] ?? defaultExt
    const record: FileRecord = {
      no,
      kind,
      uniqueId: `${prefixes[kind].slice(0, 2)}QAD${Buffer.from(`${this.salt}${no}`).toString("base64url")}`,
      data,
      path: `${folder}/file_${no}.${ext}`,
      ...meta
    }
    this.files.set(no, record)
    this.paths.set(record.path, record)
    return record
  }

  /** Stores a photo and the smaller sizes Telegram would generate (same bytes: nothing is resized). */
  addPhoto(data: Buffer): ReadonlyArray<number> {
    const size = imageSize(data) ?? { width: 1280, height: 960 }
    const longest = Math.max(size.width, size.height, 1)
    const sides = photoSides.filter((side) => side < longest)
    const scales = [...sides.map((side) => side / longest), 1]
    const sizes = scales.map(
      (scale) =>
        this.add("photo", data, {
          width: Math.max(1, Math.round(size.width * scale)),
          height: Math.max(1, Math.round(size.height * scale))
        }).no
    )
    for (const no of sizes) this.files.get(no)!.photo = sizes
    return sizes
  }

  get(no: number): FileRecord {
    return this.files.get(no)!
  }

  byPath(path: string): FileRecord | undefined {
    return this.paths.get(path)
  }

  fileId(no: number, viewer: number): string {
    const record = this.get(no)
    return `${prefixes[record.kind]}${Buffer.from(`${no}:${viewer}:${this.salt}`).toString("base64url")}`
  }

  /** The file a viewer's file id names; Telegram's error when it names none of theirs. */
  resolve(fileId: string, viewer: number): FileRecord {
    const kind = kindOfPrefix.get(fileId.slice(0, 4))
    const [no, owner, salt] = Buffer.from(fileId.slice(4), "base64url").toString("utf8").split(":")
    const record = this.files.get(Number(no))
    if (kind === undefined || record === undefined || Number(owner) !== viewer || salt !== this.salt) {
      throw badRequest("wrong file identifier/HTTP URL specified")
    }
    return record
  }

  photoSize(no: number, viewer: number): PhotoSize {
    const record = this.get(no)
    return {
      file_id: this.fileId(no, viewer),
      file_unique_id: record.uniqueId,
      file_size: record.data.length,
      width: record.width ?? 0,
      height: record.height ?? 0
    }
  }
}
