import { Effect, Schema } from "effect"
import { definePlugin, type PluginContext, type PluginEventOf } from "../../src/plugins/definePlugin.ts"

/** General's thread id: never the knowledge base. */
const GENERAL = 1

/**
 * One indexed message of the Knowledge base topic, stored in the group under `entry:<messageId>`.
 * `title`, `text` and `tags` are what `Store.search` ranks.
 */
export const KbEntry = Schema.Struct({
  title: Schema.String,
  text: Schema.String,
  /** Lower-case, without `#`. */
  tags: Schema.Array(Schema.String),
  links: Schema.Array(Schema.String),
  author: Schema.String,
  authorId: Schema.NullOr(Schema.Number),
  /** When it was posted (ISO 8601). */
  date: Schema.String,
  editedAt: Schema.optional(Schema.String),
  threadId: Schema.Number,
  messageId: Schema.Number,
  /** `https://t.me/c/<id>/<thread>/<message>`: the original message. */
  link: Schema.String
})
export type KbEntry = typeof KbEntry.Type

const Config = Schema.Struct({
  /** A topic indexed besides the one marked with `/kb here`. */
  topic: Schema.optional(
    Schema.Int.pipe(Schema.greaterThan(GENERAL, { message: () => "must be the thread id of a topic" }))
  ),
  /** How many results `/kb` answers with. */
  results: Schema.optionalWith(
    Schema.Int.pipe(Schema.between(1, 20, { message: () => "must be between 1 and 20" })),
    { default: () => 5 }
  )
})
type Config = typeof Config.Type

type Posted = PluginEventOf<"group.messagePosted"> | PluginEventOf<"group.messageEdited">

const entryKey = (messageId: number) => `entry:${messageId}`

const html = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")

/** `https://t.me/c/<id>/<thread>/<message>`: Telegram's link to a message of a supergroup's topic. */
export const messageLink = (chatId: number, threadId: number, messageId: number) => {
  const id = String(chatId).startsWith("-100") ? String(chatId).slice(4) : String(Math.abs(chatId))
  return threadId === GENERAL
    ? `https://t.me/c/${id}/${messageId}`
    : `https://t.me/c/${id}/${threadId}/${messageId}`
}

const tagPattern = /(^|[^\p{L}\p{N}_&/])#([\p{L}\p{N}_][\p{L}\p{N}_-]*)/gu
const urlPattern = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/giu

/** The `#tags` of a text, lower-case, without `#`, each once, in order. */
export const tagsOf = (text: string) => [
  ...new Set([...text.matchAll(tagPattern)].map((match) => match[2]!.toLowerCase()))
]

/** The links of a message: its URLs and its text links (`text_link` entities), each once. */
export const linksOf = (message: Posted["message"]) => {
  const text = message.text ?? message.caption ?? ""
  const entities = message.entities ?? message.caption_entities ?? []
  const hidden = entities.flatMap((entity) => (entity.type === "text_link" ? [entity.url] : []))
  return [...new Set([...[...text.matchAll(urlPattern)].map((match) => match[0]), ...hidden])]
}

/** The title: the first line that says something besides tags and links; else the first link. */
export const titleOf = (text: string, links: ReadonlyArray<string>) => {
  for (const line of text.split("\n")) {
    const words = line.replace(tagPattern, "$1").replace(urlPattern, "").replace(/\s+/g, " ").trim()
    if (words === "") continue
    const title = words.length > 120 ? `${words.slice(0, 119)}…` : words
    return title
  }
  return links[0] ?? "(untitled)"
}

/** The entry a message makes, or undefined when it has neither a link nor a tag. */
export const entryOf = (event: Posted, postedAt?: string): KbEntry | undefined => {
  const text = event.text ?? ""
  const links = linksOf(event.message)
  const tags = tagsOf(text)
  if (links.length === 0 && tags.length === 0) return undefined
  const from = event.from
  const author = from === null ? (event.message.sender_chat?.title ?? "the group") : from.first_name
  const edited = event.message.edit_date
  return {
    title: titleOf(text, links),
    text,
    tags,
    links,
    author,
    authorId: from?.id ?? null,
    date: postedAt ?? new Date(event.message.date * 1000).toISOString(),
    ...(edited === undefined || postedAt === undefined
      ? {}
      : { editedAt: new Date(edited * 1000).toISOString() }),
    threadId: event.threadId,
    messageId: event.messageId,
    link: messageLink(event.chatId, event.threadId, event.messageId)
  }
}

const inKnowledgeBase = (event: Posted, config: Config) =>
  event.threadId !== GENERAL &&
  (event.topicKind === "knowledge-base" || (config.topic !== undefined && event.threadId === config.topic))

/** A new message in the topic: indexed when it has links or tags. */
const index = (event: Posted, ctx: PluginContext<Config>) =>
  Effect.gen(function* () {
    if (!inKnowledgeBase(event, ctx.config) || event.text?.startsWith("/") === true) return
    const entry = entryOf(event)
    if (entry !== undefined) yield* ctx.storage.group.set(entryKey(event.messageId), entry)
  })

/** An edited message: the entry follows (and goes when the links and tags went). */
const reindex = (event: Posted, ctx: PluginContext<Config>) =>
  Effect.gen(function* () {
    if (!inKnowledgeBase(event, ctx.config)) return
    const key = entryKey(event.messageId)
    const before = yield* Effect.orElseSucceed(ctx.storage.group.get(key, KbEntry), () => undefined)
    const date = before?._tag === "Some" ? before.value.date : undefined
    const entry = event.text?.startsWith("/") === true ? undefined : entryOf(event, date)
    yield* entry === undefined ? ctx.storage.group.delete(key) : ctx.storage.group.set(key, entry)
  })

const day = (iso: string) => iso.slice(0, 10)

const shown = (entry: KbEntry, rank: number) =>
  `${rank}. <a href="${html(entry.link)}">${html(entry.title)}</a>` +
  (entry.tags.length === 0 ? "" : ` ${entry.tags.map((tag) => `#${html(tag)}`).join(" ")}`) +
  ` · ${html(entry.author)}, ${day(entry.date)}`

const quiet = { parse_mode: "HTML", link_preview_options: { is_disabled: true } } as const

const usage = [
  "/kb <words or #tag>: search the knowledge base (ranked, with links to the messages)",
  "/kb tags: the tags in use, with counts",
  "/kb remove: as a reply to a message of the Knowledge base topic, takes it out of the index",
  "/kb here (admins): make this topic the knowledge base"
].join("\n")

/** The entries of the group. */
const allEntries = (ctx: PluginContext<Config>) =>
  Effect.map(ctx.storage.group.entries(), (entries) =>
    entries.flatMap(([key, value]) => (key.startsWith("entry:") && Schema.is(KbEntry)(value) ? [value] : []))
  )

const tagCounts = (ctx: PluginContext<Config>) =>
  Effect.gen(function* () {
    const entries = yield* allEntries(ctx)
    const counts = new Map<string, number>()
    for (const entry of entries) for (const tag of entry.tags) counts.set(tag, (counts.get(tag) ?? 0) + 1)
    if (counts.size === 0) return yield* ctx.reply("The knowledge base has no tags yet.")
    const sorted = [...counts].sort(([a, m], [b, n]) => n - m || (a < b ? -1 : a > b ? 1 : 0))
    yield* ctx.reply(
      [
        `Tags in the knowledge base (${entries.length} ${entries.length === 1 ? "entry" : "entries"}):`,
        ...sorted.map(([tag, count]) => `#${tag} ${count}`)
      ].join("\n")
    )
  })

const search = (args: string, ctx: PluginContext<Config>) =>
  Effect.gen(function* () {
    const tags = tagsOf(args)
    const words = args.replace(tagPattern, "$1").trim()
    const hits = yield* ctx.storage.group.search(words, { tags, prefix: "entry:", limit: ctx.config.results })
    const entries = hits.flatMap((hit) => (Schema.is(KbEntry)(hit.value) ? [hit.value] : []))
    if (entries.length === 0) return yield* ctx.reply(`Nothing in the knowledge base matches "${args}".`)
    yield* ctx.reply(
      [`Knowledge base, for "${html(args)}":`, ...entries.map((entry, i) => shown(entry, i + 1))].join("\n"),
      quiet
    )
  })

const remove = (command: PluginEventOf<"group.commandIssued">, ctx: PluginContext<Config>) =>
  Effect.gen(function* () {
    const replied = command.message.reply_to_message
    // In a forum every message answers the topic's first one: that is no reply of the user's.
    if (replied === undefined || replied.message_id === command.threadId || replied.forum_topic_created)
      return yield* ctx.reply("Reply /kb remove to the message to take out of the knowledge base.")
    const key = entryKey(replied.message_id)
    const found = yield* ctx.storage.group.get(key, KbEntry)
    if (found._tag === "None") return yield* ctx.reply("That message is not in the knowledge base.")
    const entry = found.value
    const mayRemove =
      command.from !== null && (entry.authorId === command.from.id || (yield* ctx.isAdmin(command.from.id)))
    if (!mayRemove) return yield* ctx.reply("Only its author or an admin can take an entry out.")
    yield* ctx.storage.group.delete(key)
    yield* ctx.reply(`Taken out of the knowledge base: ${entry.title}`)
  })

const here = (command: PluginEventOf<"group.commandIssued">, ctx: PluginContext<Config>) =>
  Effect.gen(function* () {
    if (command.from === null || !(yield* ctx.isAdmin(command.from.id)))
      return yield* ctx.reply("/kb here is for the group's admins only.")
    if (command.threadId === GENERAL)
      return yield* ctx.reply("General cannot be the knowledge base: write /kb here in a topic.")
    yield* ctx.send("group", command.chatId, {
      type: "group.setTopicKind",
      threadId: command.threadId,
      kind: "knowledge-base"
    })
    yield* ctx.reply(
      "This topic is now the knowledge base: messages here with links or #tags are indexed; /kb searches them."
    )
  })

export default definePlugin({
  id: "knowledge-base",
  description: "Indexes links and #tags posted in the Knowledge base topic; /kb searches them from any topic",
  config: Config,
  on: {
    "group.messagePosted": index,
    "group.messageEdited": reindex
  },
  commands: [
    {
      name: "kb",
      description: "Search the knowledge base: /kb <words or #tag>, /kb tags, /kb remove (as a reply)",
      args: "<words or #tag> | tags | remove | here",
      run: (command, ctx) => {
        const [first = "", ...rest] = command.args.split(/\s+/)
        const action = rest.length === 0 ? first.toLowerCase() : ""
        if (command.args === "") return ctx.reply(usage)
        if (action === "tags") return tagCounts(ctx)
        if (action === "remove") return remove(command, ctx)
        if (action === "here") return here(command, ctx)
        return search(command.args, ctx)
      }
    }
  ]
})
