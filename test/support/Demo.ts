import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, expect } from "vitest"
import { BacklineProcess } from "./Backline.ts"
import { createTestDatabase } from "./Database.ts"
import { makeTempDir } from "./TempDir.ts"
import { poll } from "./Helpdesk.ts"

/** Polls `probe` until it answers something other than `undefined`; throws after `timeoutMs`. */
export const eventually = poll

export interface SeenMessage {
  readonly message_id: number
  readonly text?: string
  readonly caption?: string
  readonly from?: { readonly id: number }
  readonly media_group_id?: string
  readonly photo?: ReadonlyArray<unknown>
  readonly reply_to_message?: { readonly message_id: number; readonly text?: string }
  readonly edit_date?: number
  readonly pinned_message?: { readonly message_id: number }
  readonly entities?: ReadonlyArray<{ readonly type: string; readonly user?: { readonly id: number } }>
  readonly reply_markup?: {
    readonly inline_keyboard?: ReadonlyArray<
      ReadonlyArray<{ readonly text: string; readonly callback_data?: string }>
    >
  }
}

export interface SeenTopic {
  readonly message_thread_id: number
  readonly name: string
  readonly is_closed: boolean
}

const people = (line: string) =>
  [...line.matchAll(/([^,(]+?) (?:@\S+ )?\((\d+)\)/g)].map((match) => ({
    name: match[1]!.trim(),
    id: Number(match[2])
  }))

/**
 * `backline start` with no bot token: the sandbox's demo workspace, with its people's ids read
 * from the start-up lines and the sandbox's control API at hand, as a user of Telegram acts.
 * `cwd` is the folder it starts in (where its `plugins.json` is read).
 */
export const startDemo = async (env: Record<string, string>, options: { readonly cwd?: string } = {}) => {
  const backline = new BacklineProcess(["start"], { HTTP_PORT: "0", ...env }, options.cwd)
  const [, apiRoot] = await backline.waitFor(/Bot API root (http:\/\/\S+)/)
  const [, botId, token] = await backline.waitFor(/demo bot: @\S+ \((\d+)\).* token (\S+)/)
  const [, groupId] = await backline.waitFor(/demo backend group: ".*" \((-\d+)\)/)
  const [, admin] = await backline.waitFor(/demo admin: (.*)$/m)
  const [, operators] = await backline.waitFor(/demo operators: (.*)$/m)
  const [, clients] = await backline.waitFor(/demo clients: (.*)$/m)
  const url = await backline.running()
  const control = `${apiRoot}/sandbox/v1`
  const bot = Number(botId)
  const group = Number(groupId)

  const post = async <A = SeenMessage>(path: string, body: unknown): Promise<A> => {
    const response = await fetch(`${control}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body)
    })
    expect(response.status, await response.clone().text()).toBe(200)
    return (await response.json()) as A
  }
  const get = async <A>(path: string): Promise<A> => (await (await fetch(`${control}${path}`)).json()) as A

  return {
    backline,
    url,
    apiRoot: apiRoot!,
    bot,
    /** The demo bot's token, for calling the Bot API as the bot. */
    token: token!,
    group,
    admin: people(admin!)[0]!,
    operators: people(operators!),
    clients: people(clients!),
    post,
    /** A client writes to the bot. */
    clientSays: (client: number, text: string, extra: Record<string, unknown> = {}) =>
      post("/messages", { from: client, chat_id: bot, text, ...extra }),
    /** A team member writes in a topic of the backend group. */
    teamSays: (from: number, thread: number, text: string, extra: Record<string, unknown> = {}) =>
      post("/messages", { from, chat_id: group, message_thread_id: thread, text, ...extra }),
    /** What `as` sees in the client's chat with the bot. */
    privateChat: (client: number) => get<Array<SeenMessage>>(`/chats/${bot}/messages?as=${client}`),
    /** What `as` sees in a topic (service messages left out). */
    topicMessages: async (as: number, thread: number) =>
      (
        await get<Array<SeenMessage & { forum_topic_created?: unknown }>>(
          `/chats/${group}/messages?as=${as}&message_thread_id=${thread}`
        )
      ).filter((message) => message.forum_topic_created === undefined),
    topics: () => get<Array<SeenTopic>>(`/chats/${group}/topics`),
    /** The topic named `name` once it exists. */
    topicNamed: (name: string, timeoutMs?: number) =>
      eventually(async () => {
        const topics = await get<Array<SeenTopic>>(`/chats/${group}/topics`)
        return topics.find((topic) => topic.name === name)
      }, timeoutMs),
    stop: async () => {
      const exit = await backline.stop("SIGINT")
      expect(exit).toEqual({ code: 0, signal: null })
      expect(backline.stderr).toBe("")
    }
  }
}

export type Demo = Awaited<ReturnType<typeof startDemo>>

/**
 * For a test file: before its tests, `backline start` on the demo workspace with a fresh database,
 * handed to `use`; with `plugins`, it starts in a folder of its own whose `plugins.json` lists
 * them. After the tests, Backline is stopped (cleanly, nothing on stderr), the database dropped and
 * the folder removed.
 */
export const useDemo = (
  use: (demo: Demo) => void,
  options: { readonly plugins?: ReadonlyArray<Record<string, unknown>> } = {}
) => {
  let database: { url: string; drop: () => Promise<void> } | undefined
  let demo: Demo | undefined
  const dir = options.plugins === undefined ? undefined : makeTempDir("demo")
  beforeAll(async () => {
    database = await createTestDatabase()
    if (dir !== undefined)
      fs.writeFileSync(path.join(dir.path, "plugins.json"), JSON.stringify({ plugins: options.plugins }))
    demo = await startDemo({ DATABASE_URL: database.url }, dir === undefined ? {} : { cwd: dir.path })
    use(demo)
  }, 90_000)
  afterAll(async () => {
    await demo?.stop()
    await database?.drop()
    dir?.remove()
  })
}
