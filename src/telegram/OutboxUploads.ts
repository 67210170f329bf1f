import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { InputFile } from "grammy"

const mediaParams = new Set(["photo", "document", "video", "audio", "animation"])

/** The media params that name an uploaded file (`{ "upload": <id> }`, from the HTTP API): `[param, id]`. */
export const uploadsOf = (params: Readonly<Record<string, unknown>>): Array<readonly [string, number]> =>
  Object.entries(params).flatMap(([key, value]) => {
    const id = (value as { upload?: unknown } | null)?.upload
    return mediaParams.has(key) && typeof value === "object" && value !== null && typeof id === "number"
      ? [[key, id] as const]
      : []
  })

/** `params` with each upload as a file grammY sends as multipart; a lost one fails as refused. */
export const withUploads = (
  sql: SqlClient.SqlClient,
  params: Readonly<Record<string, unknown>>,
  uploads: ReadonlyArray<readonly [string, number]>
) =>
  Effect.map(
    sql<{ id: string; file_name: string; bytes: Uint8Array }>`
      select id, file_name, bytes from api_upload where id in ${sql.in(uploads.map(([, id]) => id))}`.pipe(
      Effect.orDie
    ),
    (rows) => {
      const files = { ...params }
      for (const [key, id] of uploads) {
        const row = rows.find((found) => Number(found.id) === id)
        files[key] = row === undefined ? `upload ${id} is gone` : new InputFile(row.bytes, row.file_name)
      }
      return files
    }
  )

/** Deletes uploads Telegram took or refused: they are not needed again (a retried call's are). */
export const dropUploads = (sql: SqlClient.SqlClient, uploads: ReadonlyArray<readonly [string, number]>) =>
  sql`delete from api_upload where id in ${sql.in(uploads.map(([, id]) => id))}`.pipe(
    Effect.asVoid,
    Effect.orDie
  )
