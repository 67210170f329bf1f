import type { Message, ReactionType, User } from "grammy/types"

/** The demo's cast, from `GET /playground/v1/demo`. */
export interface Cast {
  readonly bot: User
  readonly group: { readonly id: number; readonly title?: string }
  readonly admin: User
  readonly operators: ReadonlyArray<User>
}

/** A forum topic as the control API lists it. */
export interface Topic {
  readonly message_thread_id: number
  readonly name: string
  readonly icon_color: number
  readonly is_closed: boolean
}

export interface Reactions {
  readonly user_id: number
  readonly reaction: ReadonlyArray<ReactionType>
}

/** An answer of the control API that was not 2xx: its `error`, naming the `field`. */
export class ControlRefused extends Error {
  constructor(
    readonly status: number,
    readonly field: string | undefined,
    message: string
  ) {
    super(message)
  }
}

const call = async <T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> => {
  const response = await fetch(path, {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { "content-type": "application/json" } })
  })
  const answer = (await response.json()) as T & { error?: string; field?: string }
  if (!response.ok)
    throw new ControlRefused(response.status, answer.field, answer.error ?? `HTTP ${response.status}`)
  return answer
}

const control = <T>(method: "GET" | "POST", path: string, body?: unknown) =>
  call<T>(method, `/sandbox/v1${path}`, body)

/** A file a person sends, as the control API takes it. */
export interface Upload {
  readonly file_name: string
  readonly mime_type: string
  readonly base64: string
}

export type UploadKind = "photo" | "document" | "voice"

/** The sandbox's control API, as the page uses it: everything a person can do or see in Telegram. */
export const api = {
  cast: () => call<Cast>("GET", "/playground/v1/demo"),
  people: () => control<Array<User>>("GET", "/users"),
  createUser: (first_name: string) => control<User>("POST", "/users", { first_name, language_code: "en" }),
  messages: (chat: number, as: number) => control<Array<Message>>("GET", `/chats/${chat}/messages?as=${as}`),
  topics: (chat: number) => control<Array<Topic>>("GET", `/chats/${chat}/topics`),
  reactions: (chat: number, as: number, message: number) =>
    control<Array<Reactions>>("GET", `/chats/${chat}/messages/${message}/reactions?as=${as}`),
  send: (input: {
    from: number
    chat_id: number
    text?: string
    caption?: string
    message_thread_id?: number
    photo?: Upload
    document?: Upload
    voice?: Upload
  }) => control<Message>("POST", "/messages", input),
  edit: (input: { from: number; chat_id: number; message_id: number; text?: string; caption?: string }) =>
    control<Message>("POST", "/edits", input),
  react: (input: { from: number; chat_id: number; message_id: number; reaction: Array<string> }) =>
    control<{ ok: true }>("POST", "/reactions", input),
  press: (input: { from: number; chat_id: number; message_id: number; data: string }) =>
    control<{ callback_query_id: string }>("POST", "/callbacks", input)
}

/** A file from a picker, read for the control API. */
export const readUpload = (file: File): Promise<Upload> =>
  new Promise((resolve, reject) => {
    const reader = new FileReader()
    reader.onerror = () => reject(reader.error ?? new Error("the file could not be read"))
    reader.onload = () => {
      const url = typeof reader.result === "string" ? reader.result : ""
      resolve({
        file_name: file.name,
        mime_type: file.type || "application/octet-stream",
        base64: url.slice(url.indexOf(",") + 1)
      })
    }
    reader.readAsDataURL(file)
  })

/** Calls `onChange` (at most once per animation frame) whenever the sandbox changes. */
export const watch = (onChange: () => void, onState: (live: boolean) => void): (() => void) => {
  const source = new EventSource("/sandbox/v1/events")
  let queued = false
  source.onopen = () => onState(true)
  source.onerror = () => onState(false)
  source.onmessage = () => {
    if (queued) return
    queued = true
    setTimeout(() => {
      queued = false
      onChange()
    }, 40)
  }
  return () => source.close()
}

/** The full name of a person, as Telegram shows it. */
export const nameOf = (user: Pick<User, "first_name" | "last_name"> | undefined): string =>
  user === undefined ? "" : [user.first_name, user.last_name].filter(Boolean).join(" ")
