import type { IncomingMessage } from "node:http"
import type { Upload } from "./Params.ts"

/** Request parameters from the query string and any JSON, urlencoded or multipart body. */
export interface ParsedBody {
  readonly fields: Record<string, unknown>
  readonly files: Map<string, Upload>
}

export class BodyInvalid extends Error {}

const empty = Buffer.alloc(0)

export const readBody = (req: IncomingMessage): Promise<Buffer> => {
  // A request that declares no body (or an empty one) needs no stream listeners.
  const length = req.headers["content-length"]
  if (length === "0" || (length === undefined && req.headers["transfer-encoding"] === undefined))
    return Promise.resolve(empty)
  return new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)))
    req.on("error", reject)
  })
}

/** Parses the body according to its content type, on top of the query string parameters. */
export const parseBody = (query: URLSearchParams, contentType: string, body: Buffer): ParsedBody => {
  const files = new Map<string, Upload>()
  const type = body.length === 0 ? "" : contentType.split(";")[0]!.trim().toLowerCase()
  if (type === "application/json") {
    let parsed: unknown
    try {
      parsed = JSON.parse(body.toString("utf8"))
    } catch {
      throw new BodyInvalid("can't parse JSON body")
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) parsed = {}
    // The usual grammY call: a JSON body and no query string, whose object is the fields as is.
    if (query.size === 0) return { fields: parsed as Record<string, unknown>, files }
    return { fields: Object.assign(Object.fromEntries(query), parsed), files }
  }
  const fields: Record<string, unknown> = Object.fromEntries(query)
  if (body.length === 0) return { fields, files }
  if (type === "application/x-www-form-urlencoded") {
    for (const [key, value] of new URLSearchParams(body.toString("utf8"))) fields[key] = value
  } else if (type === "multipart/form-data") {
    const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType)
    const marker = boundary?.[1] ?? boundary?.[2]
    if (marker === undefined) throw new BodyInvalid("multipart boundary is missing")
    parseMultipart(body, marker.trim(), fields, files)
  }
  return { fields, files }
}

const headerParam = (header: string, name: string): string | undefined => {
  const match = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;]*))`, "i").exec(header)
  const value = match?.[1] ?? match?.[2]
  return value?.trim()
}

// grammY writes parts as `content-disposition:form-data;name="x";filename=a.jpg` (no spaces,
// unquoted file name), browsers and curl write the quoted form: both are read here.
const parseMultipart = (
  body: Buffer,
  boundary: string,
  fields: Record<string, unknown>,
  files: Map<string, Upload>
): void => {
  const delimiter = Buffer.from(`--${boundary}`)
  let start = body.indexOf(delimiter)
  while (start !== -1) {
    let partStart = start + delimiter.length
    if (body[partStart] === 45 && body[partStart + 1] === 45) break // closing "--"
    if (body[partStart] === 13 && body[partStart + 1] === 10) partStart += 2
    const next = body.indexOf(delimiter, partStart)
    if (next === -1) break
    let partEnd = next
    if (body[partEnd - 2] === 13 && body[partEnd - 1] === 10) partEnd -= 2
    const headerEnd = body.indexOf("\r\n\r\n", partStart)
    if (headerEnd !== -1 && headerEnd < partEnd) {
      const headers = body.subarray(partStart, headerEnd).toString("utf8").split("\r\n")
      const data = body.subarray(headerEnd + 4, partEnd)
      let disposition = ""
      let contentType = "application/octet-stream"
      for (const line of headers) {
        const colon = line.indexOf(":")
        const key = line.slice(0, colon).trim().toLowerCase()
        const value = line.slice(colon + 1).trim()
        if (key === "content-disposition") disposition = value
        if (key === "content-type") contentType = value
      }
      const name = headerParam(disposition, "name")
      const filename = headerParam(disposition, "filename")
      if (name !== undefined) {
        if (filename !== undefined) files.set(name, { filename, contentType, data: Buffer.from(data) })
        else fields[name] = data.toString("utf8")
      }
    }
    start = next
  }
}
