import { readFile } from "node:fs/promises"
import { HttpServerRequest, Multipart } from "@effect/platform"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { SqlClient } from "@effect/sql"
import { Effect, Option } from "effect"
import type { OutboxEntry } from "../telegram/Outbox.ts"
import type { MessageBody } from "./Api.ts"
import { BadRequest } from "./ApiErrors.ts"
import type { Target } from "./ApiMessages.ts"

/** The largest multipart body the API reads: 20 MB (Telegram takes uploads of up to 50 MB). */
export const maxUploadBytes = 20 * 1024 * 1024

const kinds = ["photo", "document", "video", "audio", "animation"] as const
type Kind = (typeof kinds)[number]
const captionLimit = 1024

/** One file uploaded with a message (multipart field `file`), and what it is sent as (`type`). */
export interface Upload {
  readonly type: Kind
  readonly fileName: string
  readonly contentType: string
  readonly bytes: Uint8Array
}

const fieldOf = (persisted: Multipart.Persisted, name: string) => {
  const value = persisted[name]
  return typeof value === "string"
    ? value
    : Array.isArray(value) && typeof value[0] === "string"
      ? value[0]
      : undefined
}

/**
 * The file of a multipart request (`file`, sent as `type`: `document` by default), `None` for a
 * JSON one; 400 naming the field when the file or its type is missing or wrong.
 */
export const uploadOf = (request: HttpServerRequest.HttpServerRequest) =>
  Effect.gen(function* () {
    if (!(request.headers["content-type"] ?? "").toLowerCase().includes("multipart/form-data"))
      return Option.none<Upload>()
    // Parsed once already, for the payload: this reads the cached parts.
    const persisted = yield* request.multipart.pipe(
      Effect.scoped,
      Effect.provide(NodeContext.layer),
      Effect.orElseFail(
        () => new BadRequest({ error: "the multipart body could not be read", field: "body" })
      )
    )
    const files = persisted["file"]
    const file = Array.isArray(files) ? files.find(Multipart.isPersistedFile) : undefined
    if (file === undefined)
      return yield* new BadRequest({
        error: "file: a multipart message needs one file part named file",
        field: "file"
      })
    if (Array.isArray(files) && files.length > 1)
      return yield* new BadRequest({ error: "file: one file per message", field: "file" })
    const type = fieldOf(persisted, "type") ?? "document"
    if (!(kinds as ReadonlyArray<string>).includes(type))
      return yield* new BadRequest({ error: `type: must be one of ${kinds.join(", ")}`, field: "type" })
    const bytes = yield* Effect.promise(() => readFile(file.path))
    if (bytes.length === 0) return yield* new BadRequest({ error: "file: the file is empty", field: "file" })
    return Option.some<Upload>({
      type: type as Kind,
      fileName: file.name === "" ? "file" : file.name,
      contentType: file.contentType === "" ? "application/octet-stream" : file.contentType,
      bytes
    })
  })

/**
 * The call that sends `upload` with the body's text as its caption: the file is stored in
 * `api_upload` and named in the outbox row's params (`{ "upload": <id> }`); the Sender sends it.
 */
export const uploadCall = (sql: SqlClient.SqlClient, upload: Upload, body: MessageBody, target: Target) =>
  Effect.gen(function* () {
    if (body.attachments !== undefined)
      return yield* new BadRequest({
        error: "attachments: a multipart message carries its one file as file, not attachments",
        field: "attachments"
      })
    if ((body.text?.length ?? 0) > captionLimit)
      return yield* new BadRequest({
        error: `text: with a file the text is its caption, at most ${captionLimit} characters`,
        field: "text"
      })
    const [stored] = yield* sql<{ id: string }>`
      insert into api_upload (file_name, content_type, bytes)
      values (${upload.fileName}, ${upload.contentType}, ${upload.bytes}) returning id`.pipe(Effect.orDie)
    const entry: OutboxEntry = {
      connection: target.connection,
      chatId: target.chatId,
      method: `send${upload.type[0]!.toUpperCase()}${upload.type.slice(1)}`,
      params: {
        chat_id: target.chatId,
        ...(target.threadId === null || target.threadId === 1 ? {} : { message_thread_id: target.threadId }),
        [upload.type]: { upload: Number(stored!.id) },
        ...(body.text === undefined ? {} : { caption: body.text }),
        ...(body.parse_mode === undefined ? {} : { parse_mode: body.parse_mode })
      },
      cause: target.cause
    }
    return entry
  })
