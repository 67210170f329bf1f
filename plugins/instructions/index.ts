import { Effect, Option, Schema } from "effect"
import {
  definePlugin,
  type CommandIssued,
  type PluginContext,
  type PluginEventOf
} from "../../src/plugins/definePlugin.ts"

/** General's thread id: never the Instructions topic. */
const GENERAL = 1

/** One earlier version of an entry. */
const Version = Schema.Struct({
  text: Schema.String,
  author: Schema.String,
  authorId: Schema.NullOr(Schema.Number),
  /** When this version was written (ISO 8601). */
  at: Schema.String
})
type Version = typeof Version.Type

/**
 * An instruction, stored in the group under `entry:<title, lower-case>`: the current version and,
 * in `history`, the earlier ones, oldest first. `title` and `text` are what `/instr <words>` searches.
 */
export const Entry = Schema.Struct({
  ...Version.fields,
  title: Schema.String,
  history: Schema.Array(Version)
})
export type Entry = typeof Entry.Type

/**
 * A contact, stored under `contact:<name, lower-case>`; `title` (the name) and `text` (role and how
 * to reach them) make contacts searchable too.
 */
export const Contact = Schema.Struct({
  name: Schema.String,
  role: Schema.String,
  /** A phone number or `@username`. */
  reach: Schema.String,
  title: Schema.String,
  text: Schema.String
})
export type Contact = typeof Contact.Type

/** The pinned index: where it is, its message once known, and the text it shows (or is to show). */
const Index = Schema.Struct({
  threadId: Schema.Number,
  messageId: Schema.NullOr(Schema.Number),
  /** The text last sent or edited in. */
  shown: Schema.String,
  /** The text it should show: differs from `shown` while the message's id is not known yet. */
  text: Schema.String,
  attempts: Schema.Number
})
type Index = typeof Index.Type

const Config = Schema.Struct({
  /** A topic that holds the index besides the one marked with `/instr here`. */
  topic: Schema.optional(
    Schema.Int.pipe(Schema.greaterThan(GENERAL, { message: () => "must be the thread id of a topic" }))
  ),
  /** How many entries `/instr <words>` answers with. */
  results: Schema.optionalWith(
    Schema.Int.pipe(Schema.between(1, 10, { message: () => "must be between 1 and 10" })),
    { default: () => 3 }
  )
})
type Config = typeof Config.Type
type Ctx = PluginContext<Config>

/** The first line of the index message: how the plugin recognises it among its messages. */
export const indexHeader = "📌 Instructions"

const notAdmin = "Only the group's admins can change instructions and contacts."

const keyOf = (prefix: "entry" | "contact", name: string) =>
  `${prefix}:${name.trim().replace(/\s+/g, " ").toLowerCase()}`

/** How long to wait before looking for the index message Telegram accepted, and how often. */
const lookAfter = "1 second"
const maxAttempts = 30

const store = (ctx: Ctx, chatId: number) => ctx.storage.at({ chatId, threadId: 0 })

const entriesOf = (ctx: Ctx, chatId: number) =>
  Effect.map(store(ctx, chatId).entries(), (all) => ({
    entries: all.flatMap(([key, value]) =>
      key.startsWith("entry:") && Schema.is(Entry)(value) ? [value] : []
    ),
    contacts: all.flatMap(([key, value]) =>
      key.startsWith("contact:") && Schema.is(Contact)(value) ? [value] : []
    )
  }))

/** The index message's text. */
export const renderIndex = (entries: ReadonlyArray<Entry>, contacts: ReadonlyArray<Contact>) =>
  [
    indexHeader,
    ...(entries.length === 0
      ? ["(none yet: an admin adds one with /instr add <title>)"]
      : [...entries].sort((a, b) => a.title.localeCompare(b.title)).map((entry) => `• ${entry.title}`)),
    "",
    "☎️ Contacts",
    ...(contacts.length === 0
      ? ["(none yet: /contact add <name> <role> <phone or @user>)"]
      : [...contacts]
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((contact) => `• ${contact.name}, ${contact.role}: ${contact.reach}`)),
    "",
    "/instr <words> finds an entry from any topic."
  ].join("\n")

/** The topic that holds the index, if the group has one. */
const topicOf = (ctx: Ctx, chatId: number) =>
  Effect.map(store(ctx, chatId).get("topic", Schema.Number), (topic) =>
    Option.orElse(topic, () => Option.fromNullable(ctx.config.topic))
  )

const timerName = (chatId: number) => `index:${chatId}`

/** Brings the pinned index up to date: edits it in place, or posts it (to be pinned once found). */
const refreshIndex = (ctx: Ctx, chatId: number) =>
  Effect.gen(function* () {
    const topic = yield* topicOf(ctx, chatId)
    if (Option.isNone(topic)) return
    const threadId = topic.value
    const { entries, contacts } = yield* entriesOf(ctx, chatId)
    const text = renderIndex(entries, contacts)
    const found = yield* store(ctx, chatId).get("index", Index)
    const index = Option.getOrUndefined(found)
    if (index === undefined || index.threadId !== threadId) {
      yield* ctx.post({ chatId, threadId }, text)
      yield* store(ctx, chatId).set("index", { threadId, messageId: null, shown: text, text, attempts: 0 })
      yield* ctx.timers.set(timerName(chatId), lookAfter, { type: "index", chatId })
      return
    }
    if (index.messageId !== null && index.shown !== text)
      yield* ctx.call("editMessageText", { chat_id: chatId, message_id: index.messageId, text })
    yield* store(ctx, chatId).set("index", {
      ...index,
      text,
      shown: index.messageId === null ? index.shown : text
    })
  })

/** The index was posted: find its message, pin it once, and edit in what changed meanwhile. */
const findIndex = (ctx: Ctx, chatId: number) =>
  Effect.gen(function* () {
    const found = yield* store(ctx, chatId).get("index", Index)
    if (Option.isNone(found) || found.value.messageId !== null) return
    const index = found.value
    const sent = yield* ctx.sentMessages({ chatId, threadId: index.threadId }, 20)
    const message = sent.find((candidate) => candidate.text?.startsWith(indexHeader) === true)
    if (message === undefined) {
      if (index.attempts + 1 >= maxAttempts) {
        yield* ctx.log.warning(`the index of ${chatId} was not sent; it is posted again at the next change`)
        return yield* store(ctx, chatId).delete("index")
      }
      yield* store(ctx, chatId).set("index", { ...index, attempts: index.attempts + 1 })
      return yield* ctx.timers.set(timerName(chatId), lookAfter, { type: "index", chatId })
    }
    yield* ctx.call("pinChatMessage", {
      chat_id: chatId,
      message_id: message.messageId,
      disable_notification: true
    })
    if (message.text !== index.text)
      yield* ctx.call("editMessageText", { chat_id: chatId, message_id: message.messageId, text: index.text })
    yield* store(ctx, chatId).set("index", { ...index, messageId: message.messageId, shown: index.text })
  })

const isAdmin = (command: CommandIssued, ctx: Ctx) =>
  command.from === null
    ? Effect.succeed(command.message.sender_chat?.id === command.chatId)
    : ctx.isAdmin(command.from.id)

/** `<title>` on the first line, the text on the lines after it or in the message replied to. */
const titleAndText = (command: CommandIssued, rest: string) => {
  const [first = "", ...lines] = rest.split("\n")
  const title = first.trim().replace(/\s+/g, " ")
  const below = lines.join("\n").trim()
  const replied = command.message.reply_to_message
  const fromReply =
    replied === undefined || replied.message_id === command.threadId || replied.forum_topic_created
      ? ""
      : (replied.text ?? replied.caption ?? "").trim()
  return { title, text: below !== "" ? below : fromReply }
}

const authorOf = (command: CommandIssued) => ({
  author: command.from?.first_name ?? command.message.sender_chat?.title ?? "the group",
  authorId: command.from?.id ?? null,
  at: new Date(command.message.date * 1000).toISOString()
})

const day = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`

const addOrEdit = (command: CommandIssued, rest: string, ctx: Ctx, adding: boolean) =>
  Effect.gen(function* () {
    const verb = adding ? "add" : "edit"
    const { title, text } = titleAndText(command, rest)
    if (title === "" || text === "")
      return yield* ctx.reply(
        `Write /instr ${verb} <title>, then the text on the lines below; or reply /instr ${verb} <title> to the message that holds the text.`
      )
    if (title.length > 100) return yield* ctx.reply("A title is at most 100 characters.")
    const key = keyOf("entry", title)
    const existing = yield* store(ctx, command.chatId).get(key, Entry)
    if (adding && Option.isSome(existing))
      return yield* ctx.reply(
        `There is already an entry "${existing.value.title}": /instr edit ${title} changes it.`
      )
    if (!adding && Option.isNone(existing))
      return yield* ctx.reply(`There is no entry "${title}". /instr add ${title} creates it.`)
    const now = authorOf(command)
    const history = Option.match(existing, {
      onNone: () => [],
      onSome: (entry) => [
        ...entry.history,
        { text: entry.text, author: entry.author, authorId: entry.authorId, at: entry.at }
      ]
    })
    // An edit keeps the title as first written (the command may write it in another case).
    const kept = Option.match(existing, { onNone: () => title, onSome: (entry) => entry.title })
    const entry: Entry = { title: kept, text, ...now, history }
    yield* store(ctx, command.chatId).set(key, entry)
    yield* refreshIndex(ctx, command.chatId)
    yield* ctx.reply(adding ? `Added "${kept}".` : `Updated "${kept}" (version ${history.length + 1}).`)
  })

const removeEntry = (command: CommandIssued, title: string, ctx: Ctx) =>
  Effect.gen(function* () {
    if (title === "") return yield* ctx.reply("Write /instr remove <title>.")
    const key = keyOf("entry", title)
    const existing = yield* store(ctx, command.chatId).get(key, Entry)
    if (Option.isNone(existing)) return yield* ctx.reply(`There is no entry "${title}".`)
    yield* store(ctx, command.chatId).delete(key)
    yield* refreshIndex(ctx, command.chatId)
    yield* ctx.reply(`Removed "${existing.value.title}".`)
  })

const history = (command: CommandIssued, title: string, ctx: Ctx) =>
  Effect.gen(function* () {
    if (title === "") return yield* ctx.reply("Write /instr history <title>.")
    const existing = yield* store(ctx, command.chatId).get(keyOf("entry", title), Entry)
    if (Option.isNone(existing)) return yield* ctx.reply(`There is no entry "${title}".`)
    const entry = existing.value
    const versions = [...entry.history, entry]
    yield* ctx.reply(
      [
        `History of "${entry.title}" (${versions.length} ${versions.length === 1 ? "version" : "versions"}, newest first):`,
        ...versions
          .map(
            (version, i) =>
              `\n${i + 1}. ${day(version.at)}, ${version.author}${i === versions.length - 1 ? " (current)" : ""}:\n${version.text}`
          )
          .reverse()
      ].join("\n")
    )
  })

const here = (command: CommandIssued, ctx: Ctx) =>
  Effect.gen(function* () {
    if (command.threadId === GENERAL)
      return yield* ctx.reply("General cannot hold the instructions: write /instr here in a topic.")
    yield* ctx.send("group", command.chatId, {
      type: "group.setTopicKind",
      threadId: command.threadId,
      kind: "instructions"
    })
    yield* store(ctx, command.chatId).set("topic", command.threadId)
    yield* refreshIndex(ctx, command.chatId)
    yield* ctx.reply("This topic now holds the team's instructions and contacts; its index is pinned here.")
  })

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text)

const find = (command: CommandIssued, words: string, ctx: Ctx) =>
  Effect.gen(function* () {
    const hits = yield* store(ctx, command.chatId).search(words, { limit: ctx.config.results })
    const shown = hits.flatMap((hit) =>
      Schema.is(Entry)(hit.value)
        ? [`📄 ${hit.value.title}\n${clip(hit.value.text, 1000)}`]
        : Schema.is(Contact)(hit.value)
          ? [`☎️ ${hit.value.name}, ${hit.value.role}: ${hit.value.reach}`]
          : []
    )
    if (shown.length === 0) return yield* ctx.reply(`No instruction matches "${words}".`)
    yield* ctx.reply(shown.join("\n\n"))
  })

const usage = [
  "/instr <words>: find instructions and contacts",
  "/instr add <title> (text on the next lines, or as a reply), /instr edit <title>, /instr remove <title> (admins)",
  "/instr history <title>: the earlier versions",
  "/instr here (admins): make this topic the Instructions topic, with its pinned index",
  "/contact add <name> <role> <phone or @user>, /contact remove <name> (admins); /contact lists them"
].join("\n")

const changes = new Set(["add", "edit", "remove", "here"])

const instr = (command: CommandIssued, ctx: Ctx) =>
  Effect.gen(function* () {
    const match = /^(\S+)(?:[ \t]+([\s\S]*)|\n([\s\S]*))?$/.exec(command.args)
    if (match === null) return yield* ctx.reply(usage)
    const action = match[1]!.toLowerCase()
    const rest = (match[2] ?? match[3] ?? "").trim()
    if (changes.has(action) && !(yield* isAdmin(command, ctx))) return yield* ctx.reply(notAdmin)
    switch (action) {
      case "add":
        return yield* addOrEdit(command, rest, ctx, true)
      case "edit":
        return yield* addOrEdit(command, rest, ctx, false)
      case "remove":
        return yield* removeEntry(command, rest, ctx)
      case "here":
        return yield* here(command, ctx)
      case "history":
        return yield* history(command, rest, ctx)
      default:
        return yield* find(command, command.args, ctx)
    }
  })

/** `<name> <role…> <phone or @user>`; a name of several words is quoted. */
export const parseContact = (args: string) => {
  const match = /^(?:"([^"]+)"|(\S+))\s+(.+?)\s+(@[A-Za-z0-9_]{3,32}|\+?[\d][\d\s().-]{4,}\d)$/.exec(
    args.trim()
  )
  if (match === null) return undefined
  return { name: (match[1] ?? match[2]!).trim(), role: match[3]!.trim(), reach: match[4]!.trim() }
}

const contact = (command: CommandIssued, ctx: Ctx) =>
  Effect.gen(function* () {
    const [action = "", ...restWords] = command.args.split(/\s+/)
    const rest = command.args.slice(action.length).trim()
    if (action === "") {
      const { contacts } = yield* entriesOf(ctx, command.chatId)
      if (contacts.length === 0)
        return yield* ctx.reply(
          "No contacts yet: an admin adds one with /contact add <name> <role> <phone or @user>."
        )
      return yield* ctx.reply(
        [...contacts]
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((one) => `☎️ ${one.name}, ${one.role}: ${one.reach}`)
          .join("\n")
      )
    }
    if (action !== "add" && action !== "remove")
      return yield* ctx.reply(
        "Write /contact add <name> <role> <phone or @user>, /contact remove <name>, or /contact to list them."
      )
    if (!(yield* isAdmin(command, ctx))) return yield* ctx.reply(notAdmin)
    if (action === "remove") {
      if (restWords.length === 0) return yield* ctx.reply("Write /contact remove <name>.")
      const name = rest.replace(/^"|"$/g, "")
      const key = keyOf("contact", name)
      const existing = yield* store(ctx, command.chatId).get(key, Contact)
      if (Option.isNone(existing)) return yield* ctx.reply(`There is no contact "${name}".`)
      yield* store(ctx, command.chatId).delete(key)
      yield* refreshIndex(ctx, command.chatId)
      return yield* ctx.reply(`Removed the contact ${existing.value.name}.`)
    }
    const parsed = parseContact(rest)
    if (parsed === undefined)
      return yield* ctx.reply(
        "Write /contact add <name> <role> <phone or @user>, e.g. /contact add Marta accountant +44 20 7946 0958 (quote a name of several words)."
      )
    const value: Contact = { ...parsed, title: parsed.name, text: `${parsed.role} ${parsed.reach}` }
    yield* store(ctx, command.chatId).set(keyOf("contact", parsed.name), value)
    yield* refreshIndex(ctx, command.chatId)
    yield* ctx.reply(`Saved the contact ${parsed.name}, ${parsed.role}: ${parsed.reach}.`)
  })

export default definePlugin({
  id: "instructions",
  description:
    "Instructions and contacts kept by admins, with a pinned index in the Instructions topic; /instr finds them",
  config: Config,
  on: {
    // A topic made the Instructions topic some other way (`/workspace setup`): the index goes there.
    "group.topicKindSet": (event: PluginEventOf<"group.topicKindSet">, ctx) =>
      event.kind !== "instructions" || event.threadId === GENERAL
        ? Effect.void
        : Effect.gen(function* () {
            const topic = yield* store(ctx, event.chatId).get("topic", Schema.Number)
            if (Option.isSome(topic) && topic.value === event.threadId) return
            yield* store(ctx, event.chatId).set("topic", event.threadId)
            yield* refreshIndex(ctx, event.chatId)
          }),
    "timer.fired": (fired, ctx) =>
      fired.event.type === "index" && typeof fired.event["chatId"] === "number"
        ? findIndex(ctx, fired.event["chatId"])
        : Effect.void
  },
  commands: [
    {
      name: "instr",
      description:
        "Find instructions: /instr <words>; admins: /instr add|edit|remove <title>, /instr history <title>",
      args: "<words> | add <title> | edit <title> | remove <title> | history <title> | here",
      run: instr
    },
    {
      name: "contact",
      description:
        "The team's contacts: /contact lists them; admins: /contact add <name> <role> <phone or @user>",
      args: "[add <name> <role> <phone or @user> | remove <name>]",
      run: contact
    }
  ]
})
