import type { MessageEntity } from "grammy/types"
import { badRequest } from "./BotApiError.ts"

// Offsets and lengths are UTF-16 code units, as in the Bot API, which is what JS string indices are.

// Each detector with a character its matches must contain: most messages have none of them, and
// `includes` is far cheaper than running a Unicode regex over every text.
const detectors: ReadonlyArray<[MessageEntity.CommonMessageEntity["type"], string, RegExp]> = [
  ["url", ":", /\bhttps?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]'"]/giu],
  ["email", "@", /[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b/giu],
  ["bot_command", "/", /(?<![\w/])\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])/gu],
  ["mention", "@", /(?<![\w@])@[A-Za-z0-9_]{4,32}\b/gu],
  ["hashtag", "#", /(?<![\w#])#[\p{L}\p{N}_]*\p{L}[\p{L}\p{N}_]*/gu],
  ["cashtag", "$", /(?<![\w$])\$[A-Z]{3,8}\b/gu]
]

const overlaps = (a: MessageEntity, b: MessageEntity): boolean =>
  a.offset < b.offset + b.length && b.offset < a.offset + a.length

export const sortEntities = (entities: Array<MessageEntity>): Array<MessageEntity> =>
  entities.sort((a, b) => a.offset - b.offset || b.length - a.length)

/** Entities Telegram finds by itself: commands, mentions, hashtags, cashtags, links, e-mails. */
export const detectEntities = (
  text: string,
  explicit: ReadonlyArray<MessageEntity> = []
): Array<MessageEntity> => {
  const found: Array<MessageEntity> = [...explicit]
  const linkLike = explicit.filter((e) => e.type === "code" || e.type === "pre" || e.type === "text_link")
  for (const [type, trigger, pattern] of detectors) {
    if (!text.includes(trigger)) continue
    for (const match of text.matchAll(pattern)) {
      const entity: MessageEntity = { type, offset: match.index, length: match[0].length }
      if (
        found.some((other) =>
          other.type === entity.type || !isFormatting(other) ? overlaps(other, entity) : false
        )
      )
        continue
      if (linkLike.some((other) => overlaps(other, entity))) continue
      found.push(entity)
    }
  }
  return sortEntities(found)
}

const isFormatting = (entity: MessageEntity): boolean =>
  ["bold", "italic", "underline", "strikethrough", "spoiler", "blockquote", "expandable_blockquote"].includes(
    entity.type
  )

const htmlTags: Record<string, MessageEntity["type"]> = {
  b: "bold",
  strong: "bold",
  i: "italic",
  em: "italic",
  u: "underline",
  ins: "underline",
  s: "strikethrough",
  strike: "strikethrough",
  del: "strikethrough",
  "tg-spoiler": "spoiler",
  span: "spoiler",
  a: "text_link",
  code: "code",
  pre: "pre",
  blockquote: "blockquote",
  "tg-emoji": "custom_emoji"
}

const unescapeHtml = (text: string): string =>
  text.replace(
    /&(lt|gt|amp|quot|#(\d+)|#x([0-9a-f]+));/gi,
    (whole, name: string, dec?: string, hex?: string) => {
      if (dec !== undefined) return String.fromCodePoint(Number(dec))
      if (hex !== undefined) return String.fromCodePoint(parseInt(hex, 16))
      return { lt: "<", gt: ">", amp: "&", quot: '"' }[name.toLowerCase()] ?? whole
    }
  )

const cantParse = (detail: string) => badRequest(`can't parse entities: ${detail}`)

/** Parses `parse_mode: "HTML"` into plain text and entities, with Telegram's error texts. */
export const parseHtml = (source: string): { text: string; entities: Array<MessageEntity> } => {
  let text = ""
  const entities: Array<MessageEntity> = []
  const open: Array<{ tag: string; offset: number; attrs: string }> = []
  const tagPattern = /<(\/?)([a-zA-Z][\w-]*)((?:\s+[^>]*)?)>/g
  let last = 0
  for (const match of source.matchAll(tagPattern)) {
    text += unescapeHtml(source.slice(last, match.index))
    last = match.index + match[0].length
    const [, closing, rawTag, attrs = ""] = match
    const tag = rawTag!.toLowerCase()
    const type = htmlTags[tag]
    const byteOffset = Buffer.byteLength(source.slice(0, match.index))
    if (type === undefined) {
      throw cantParse(`Unsupported ${closing ? "end" : "start"} tag "${tag}" at byte offset ${byteOffset}`)
    }
    if (!closing) {
      open.push({ tag, offset: text.length, attrs })
      continue
    }
    const top = open.pop()
    if (top === undefined || top.tag !== tag) {
      throw cantParse(
        `Unmatched end tag at byte offset ${byteOffset}, expected "</${top?.tag ?? ""}>", found "</${tag}>"`
      )
    }
    const length = text.length - top.offset
    const attr = (name: string) => new RegExp(`${name}\\s*=\\s*"([^"]*)"`, "i").exec(top.attrs)?.[1]
    if (length === 0) continue
    if (type === "text_link") {
      const url = unescapeHtml(attr("href") ?? "")
      const user = /^tg:\/\/user\?id=(\d+)$/.exec(url)
      if (user === null) entities.push({ type: "text_link", offset: top.offset, length, url })
      else
        entities.push({
          type: "text_mention",
          offset: top.offset,
          length,
          user: { id: Number(user[1]), is_bot: false, first_name: "" }
        })
    } else if (type === "pre") {
      entities.push({ type: "pre", offset: top.offset, length })
    } else if (type === "code") {
      const language = /language-([\w+-]+)/.exec(attr("class") ?? "")?.[1]
      const pre = entities.find((e) => e.type === "pre" && e.offset === top.offset)
      if (language !== undefined && open.at(-1)?.tag === "pre") {
        open.at(-1)!.attrs += ` data-language="${language}"`
      } else if (pre === undefined) entities.push({ type: "code", offset: top.offset, length })
    } else if (type === "custom_emoji") {
      entities.push({ type, offset: top.offset, length, custom_emoji_id: attr("emoji-id") ?? "" })
    } else if (type === "blockquote") {
      entities.push({
        type: /\bexpandable\b/i.test(top.attrs) ? "expandable_blockquote" : "blockquote",
        offset: top.offset,
        length
      })
    } else if (type === "spoiler" && tag === "span" && !/tg-spoiler/.test(top.attrs)) {
      throw cantParse(`Tag "span" must have class "tg-spoiler" at byte offset ${byteOffset}`)
    } else {
      entities.push({ type, offset: top.offset, length } as MessageEntity)
    }
    if (type === "pre") {
      const language = /data-language="([^"]*)"/.exec(top.attrs)?.[1]
      const entity = entities.at(-1)
      if (language !== undefined && entity?.type === "pre") entity.language = language
    }
  }
  text += unescapeHtml(source.slice(last))
  const unclosed = open.at(-1)
  if (unclosed !== undefined)
    throw cantParse(`Can't find end tag corresponding to start tag "${unclosed.tag}"`)
  return { text, entities: sortEntities(entities) }
}

const markdownV2Marks: ReadonlyArray<[string, MessageEntity["type"]]> = [
  ["```", "pre"],
  ["||", "spoiler"],
  ["__", "underline"],
  ["*", "bold"],
  ["_", "italic"],
  ["~", "strikethrough"],
  ["`", "code"]
]

/** Parses `parse_mode: "MarkdownV2"` (and legacy `"Markdown"`, which has no escaping rules to break). */
export const parseMarkdown = (
  source: string,
  v2: boolean
): { text: string; entities: Array<MessageEntity> } => {
  let text = ""
  const entities: Array<MessageEntity> = []
  const open: Array<{ mark: string; type: MessageEntity["type"]; offset: number }> = []
  let i = 0
  while (i < source.length) {
    const char = source[i]!
    const top = open.at(-1)
    const inCode = top?.type === "code" || top?.type === "pre"
    if (char === "\\" && v2 && i + 1 < source.length) {
      text += source[i + 1]
      i += 2
      continue
    }
    if (char === "[" && !inCode) {
      const link = /^\[([^\]]*)\]\(([^)]*)\)/.exec(source.slice(i))
      if (link !== null) {
        const inner = parseMarkdown(link[1]!, v2)
        const offset = text.length
        for (const entity of inner.entities) entities.push({ ...entity, offset: entity.offset + offset })
        text += inner.text
        if (inner.text.length > 0)
          entities.push({ type: "text_link", offset, length: inner.text.length, url: link[2]! })
        i += link[0].length
        continue
      }
    }
    const mark = markdownV2Marks.find(
      ([m, type]) =>
        source.startsWith(m, i) && (v2 || !["||", "__", "~"].includes(m)) && (!inCode || top?.type === type)
    )
    if (mark !== undefined) {
      const [m, type] = mark
      if (top?.mark === m) {
        open.pop()
        let offset = top.offset
        let language: string | undefined
        if (type === "pre") {
          const firstLine = /^([\w+-]+)\n/.exec(text.slice(offset))
          if (firstLine !== null) {
            language = firstLine[1]
            text = text.slice(0, offset) + text.slice(offset + firstLine[0].length)
          } else if (text[offset] === "\n") text = text.slice(0, offset) + text.slice(offset + 1)
          offset = top.offset
        }
        const length = text.length - offset
        if (length > 0)
          entities.push(
            language === undefined
              ? ({ type, offset, length } as MessageEntity)
              : { type: "pre", offset, length, language }
          )
      } else open.push({ mark: m, type, offset: text.length })
      i += m.length
      continue
    }
    if (v2 && !inCode && "_*[]()~`>#+-=|{}.!".includes(char)) {
      throw cantParse(`Character '${char}' is reserved and must be escaped with the preceding '\\'`)
    }
    text += char
    i += 1
  }
  const unclosed = open.at(-1)
  if (unclosed !== undefined) {
    throw cantParse(
      `Can't find end of ${unclosed.type === "pre" ? "Pre" : "the"} entity starting at byte offset ${Buffer.byteLength(text.slice(0, unclosed.offset))}`
    )
  }
  return { text, entities: sortEntities(entities) }
}

/** Text and entities as Telegram stores them after applying `parse_mode` or explicit entities. */
export const formatText = (
  source: string,
  parseMode: string | undefined,
  explicit: ReadonlyArray<MessageEntity> | undefined
): { text: string; entities: Array<MessageEntity> } => {
  const mode = parseMode?.toLowerCase()
  const parsed =
    explicit !== undefined && explicit.length > 0
      ? { text: source, entities: [...explicit] }
      : mode === "html"
        ? parseHtml(source)
        : mode === "markdownv2"
          ? parseMarkdown(source, true)
          : mode === "markdown"
            ? parseMarkdown(source, false)
            : { text: source, entities: [] }
  if (mode !== undefined && mode !== "" && !["html", "markdownv2", "markdown"].includes(mode)) {
    throw badRequest(`unsupported parse_mode`)
  }
  return { text: parsed.text, entities: detectEntities(parsed.text, parsed.entities) }
}
