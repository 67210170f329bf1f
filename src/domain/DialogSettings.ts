import { Either, Schema } from "effect"

/**
 * A connection's inbox settings, as its dialogs apply them. Admins change them with `/set` in
 * General; the Router hands the current ones to the dialog with each event.
 *
 * @example
 * const settings: DialogSettings = { ...defaultDialogSettings, autoCloseHours: 24 }
 */
export interface DialogSettings {
  /** Sent to a client on the first message and when a closed dialog reopens; `null` = OFF. `{title}` = the client's name. */
  readonly welcome: string | null
  /** Hours after the team's last answer before the dialog closes by itself; 0 = never. */
  readonly autoCloseHours: number
  /** Only explicit replies to a client's message go to the client; everything else stays internal. */
  readonly replyOnly: boolean
}

/** What the Router hands a dialog with each event: its connection's backend group and settings. */
export interface DialogInbox {
  readonly backendGroup: number
  readonly settings: DialogSettings
}

/** The settings of a connection nobody has changed. */
export const defaultDialogSettings: DialogSettings = {
  welcome: "Hello, {title}! Thanks for writing. The team will answer here soon.",
  autoCloseHours: 48,
  replyOnly: false
}

/** The `connection.settings` JSON: any subset of the settings, by their names. */
export const StoredDialogSettings = Schema.Struct({
  WELCOME: Schema.optional(Schema.NullOr(Schema.String)),
  AUTOCLOSE: Schema.optional(Schema.Number),
  REPLY_ONLY: Schema.optional(Schema.Boolean)
})

/** Reads stored settings over the defaults; anything unreadable falls back to its default. */
export const dialogSettingsOf = (stored: unknown): DialogSettings =>
  Either.match(Schema.decodeUnknownEither(StoredDialogSettings)(stored ?? {}), {
    onLeft: () => defaultDialogSettings,
    onRight: (found) => ({
      welcome: found.WELCOME === undefined ? defaultDialogSettings.welcome : found.WELCOME,
      autoCloseHours: found.AUTOCLOSE ?? defaultDialogSettings.autoCloseHours,
      replyOnly: found.REPLY_ONLY ?? defaultDialogSettings.replyOnly
    })
  })

/** The settings admins set by name with `/set <NAME> <value>`. */
export const settingNames = ["WELCOME", "AUTOCLOSE", "REPLY_ONLY"] as const
export type SettingName = (typeof settingNames)[number]

/**
 * Parses `/set <NAME> <value>`'s value: answers the stored JSON value, or why it is wrong.
 *
 * @example
 * parseSetting("AUTOCLOSE", "24") // Either.right(24)
 * parseSetting("WELCOME", "OFF") // Either.right(null)
 */
export const parseSetting = (
  name: SettingName,
  raw: string
): Either.Either<string | number | boolean | null, string> => {
  const value = raw.trim()
  switch (name) {
    case "WELCOME":
      return Either.right(value.toUpperCase() === "OFF" ? null : value)
    case "AUTOCLOSE": {
      const hours = Number(value)
      return /^\d+(\.\d+)?$/.test(value) && hours <= 24 * 365
        ? Either.right(hours)
        : Either.left(`AUTOCLOSE is a number of hours (0 = never), such as 48, not "${value}"`)
    }
    case "REPLY_ONLY":
      return /^(on|true|yes|1)$/i.test(value)
        ? Either.right(true)
        : /^(off|false|no|0)$/i.test(value)
          ? Either.right(false)
          : Either.left(`REPLY_ONLY is on or off, not "${value}"`)
  }
}
