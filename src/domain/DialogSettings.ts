import { Either, Schema } from "effect"

/** How much of who the client is the team sees: all, no card, or a stable pseudonym instead of the name. */
export type HideInfo = "off" | "card" | "names"

/**
 * A connection's inbox settings, as its dialogs apply them. Admins change them with `/set` in
 * General; the Router hands the current ones to the dialog with each event. See docs/inbox.md.
 *
 * @example
 * const settings: DialogSettings = { ...defaultDialogSettings, autoCloseHours: 24 }
 */
export interface DialogSettings {
  /** Sent to a client on the first message and when a closed dialog reopens; `null` = OFF. `{title}` = the client's name. */
  readonly welcome: string | null
  /** Hours after the team's last answer before the dialog closes by itself; 0 = never. */
  readonly autoCloseHours: number
  /** Whether the client card is posted when a topic opens. */
  readonly autoInfo: boolean
  readonly hideInfo: HideInfo
  /** Clients are not told when their message was not relayed. */
  readonly silentMode: boolean
  /** User ids whose messages are ignored (no topic, no answer). */
  readonly ignoreChats: ReadonlyArray<number>
  /** When not empty, only these user ids are relayed. */
  readonly whiteList: ReadonlyArray<number>
  /** User ids, besides the group's admins, allowed to use team-wide commands (`/set`, `/new`). */
  readonly extensionsAllowed: ReadonlyArray<number>
  /** Kinds of chats (`private`, `group`) whose closed topics stay closed when a new message comes. */
  readonly leaveClosed: ReadonlyArray<string>
  /** A client's message containing one of these words (any case) is not relayed. */
  readonly restrictedKeywords: ReadonlyArray<string>
  /** Only explicit replies to a client's message go to the client; everything else stays internal. */
  readonly replyOnly: boolean
  /** The colour of new topics' icons (one of Telegram's six), or Telegram's default. */
  readonly iconColor: number | null
}

/** What the Router hands a dialog with each event: its connection's backend group and settings. */
export interface DialogInbox {
  readonly backendGroup: number
  readonly settings: DialogSettings
}

/** Telegram's service account (forwards from channels, login codes): ignored unless removed. */
export const telegramServiceAccount = 777000

/** The settings of a connection nobody has changed. */
export const defaultDialogSettings: DialogSettings = {
  welcome: "Hello, {title}! Thanks for writing. The team will answer here soon.",
  autoCloseHours: 48,
  autoInfo: true,
  hideInfo: "off",
  silentMode: false,
  ignoreChats: [telegramServiceAccount],
  whiteList: [],
  extensionsAllowed: [],
  leaveClosed: [],
  restrictedKeywords: [],
  replyOnly: false,
  iconColor: null
}

/** The topic icon colours Telegram allows, by name. */
export const iconColors: Readonly<Record<string, number>> = {
  blue: 0x6fb9f0,
  yellow: 0xffd67e,
  violet: 0xcb86db,
  green: 0x8eee98,
  rose: 0xff93b2,
  red: 0xfb6f5f
}

type Parsed = string | number | boolean | null | ReadonlyArray<string | number>

interface Setting {
  readonly key: keyof DialogSettings
  readonly help: string
  readonly parse: (raw: string) => Either.Either<Parsed, string>
}

const on = /^(on|true|yes|1)$/i
const off = /^(off|false|no|0)$/i
const boolean = (name: string) => (raw: string) =>
  on.test(raw)
    ? Either.right(true)
    : off.test(raw)
      ? Either.right(false)
      : Either.left(`${name} is on or off, not "${raw}"`)
const words = (raw: string) => raw.split(/[\s,]+/).filter((word) => word !== "")
const ids = (name: string) => (raw: string) => {
  if (/^off$/i.test(raw)) return Either.right([])
  const found = words(raw)
  const bad = found.find((word) => !/^-?\d+$/.test(word))
  return bad === undefined
    ? Either.right(found.map(Number))
    : Either.left(`${name} is a list of user or chat ids such as 12345 67890 (OFF clears it), not "${bad}"`)
}

/** Every setting admins change by name, with how its value is read. */
export const settingsByName: Readonly<Record<string, Setting>> = {
  WELCOME: {
    key: "welcome",
    help: "text sent to a client on the first message and on reopening; Markdown, {title} = the client's name; OFF = none",
    parse: (raw) => Either.right(/^off$/i.test(raw) ? null : raw)
  },
  AUTOCLOSE: {
    key: "autoCloseHours",
    help: "hours after the team's last answer until the dialog closes; 0 = never",
    parse: (raw) =>
      /^\d+(\.\d+)?$/.test(raw) && Number(raw) <= 24 * 365
        ? Either.right(Number(raw))
        : Either.left(`AUTOCLOSE is a number of hours (0 = never), such as 48, not "${raw}"`)
  },
  AUTO_INFO: {
    key: "autoInfo",
    help: "post the client card when a topic opens: on or off",
    parse: boolean("AUTO_INFO")
  },
  HIDE_INFO: {
    key: "hideInfo",
    help: "off, card (no client card) or names (a stable pseudonym instead of the client's name)",
    parse: (raw) =>
      /^(off|card|names)$/i.test(raw)
        ? Either.right(raw.toLowerCase())
        : Either.left(`HIDE_INFO is off, card or names, not "${raw}"`)
  },
  SILENT_MODE: {
    key: "silentMode",
    help: "clients are not told when their message was not relayed: on or off",
    parse: boolean("SILENT_MODE")
  },
  IGNORE_CHATS: {
    key: "ignoreChats",
    help: "user ids whose messages are ignored",
    parse: ids("IGNORE_CHATS")
  },
  WHITE_LIST: {
    key: "whiteList",
    help: "when set, only these user ids are relayed",
    parse: ids("WHITE_LIST")
  },
  EXTENSIONS_ALLOWED: {
    key: "extensionsAllowed",
    help: "user ids, besides admins, allowed to use team-wide commands (/set, /new)",
    parse: ids("EXTENSIONS_ALLOWED")
  },
  LEAVE_CLOSED: {
    key: "leaveClosed",
    help: "kinds of chats (private, group) whose closed topics stay closed on new messages",
    parse: (raw) => {
      if (/^off$/i.test(raw)) return Either.right([])
      const bad = words(raw).find((word) => !/^(private|group)$/i.test(word))
      return bad === undefined
        ? Either.right(words(raw).map((word) => word.toLowerCase()))
        : Either.left(`LEAVE_CLOSED lists private and/or group, not "${bad}"`)
    }
  },
  RESTRICTED_KEYWORDS_FRONTEND: {
    key: "restrictedKeywords",
    help: "words that stop a client's message from being relayed",
    parse: (raw) => Either.right(/^off$/i.test(raw) ? [] : words(raw).map((word) => word.toLowerCase()))
  },
  REPLY_ONLY: {
    key: "replyOnly",
    help: "only explicit replies to a client's message go to the client: on or off",
    parse: boolean("REPLY_ONLY")
  },
  ICON_COLOR: {
    key: "iconColor",
    help: `colour of new topics' icons: ${Object.keys(iconColors).join(", ")}, or OFF for Telegram's default`,
    parse: (raw) => {
      if (/^off$/i.test(raw)) return Either.right(null)
      const color = iconColors[raw.toLowerCase()]
      return color === undefined
        ? Either.left(`ICON_COLOR is one of ${Object.keys(iconColors).join(", ")} or OFF, not "${raw}"`)
        : Either.right(color)
    }
  }
}

/**
 * Reads `/set <NAME> <value>`'s value: the value to store, or why it is wrong (naming the setting).
 *
 * @example
 * parseSetting("AUTOCLOSE", "24") // Either.right(24)
 * parseSetting("WELCOME", "OFF") // Either.right(null)
 */
export const parseSetting = (name: string, raw: string): Either.Either<Parsed, string> => {
  const setting = settingsByName[name.toUpperCase()]
  return setting === undefined
    ? Either.left(`there is no setting ${name}; the settings are ${Object.keys(settingsByName).join(", ")}`)
    : setting.parse(raw.trim())
}

/** The `connection.settings` JSON: the text admins set for each setting they changed, by name. */
export const StoredDialogSettings = Schema.Record({ key: Schema.String, value: Schema.String })

/** Reads stored settings over the defaults; a value that no longer reads falls back to its default. */
export const dialogSettingsOf = (stored: unknown): DialogSettings => {
  const found = Either.getOrElse(Schema.decodeUnknownEither(StoredDialogSettings)(stored ?? {}), () => ({}))
  const settings: Record<string, unknown> = { ...defaultDialogSettings }
  for (const [name, raw] of Object.entries(found)) {
    const setting = settingsByName[name]
    const value = setting === undefined ? undefined : Either.getRight(setting.parse(raw))
    if (setting !== undefined && value !== undefined && value._tag === "Some")
      settings[setting.key] = value.value
  }
  return settings as unknown as DialogSettings
}
