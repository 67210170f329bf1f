/**
 * The events Backline's admin commands and plugin host emit for system notices (under
 * `plugin:plugin-admin`), declared for plugins like any plugin's events.
 */

/** The id of the system plugin that posts Backline's own notices in General. */
export const noticesPluginId = "system-notices"

/**
 * An admin switched a plugin on or off, or changed a key of its configuration.
 *
 * @example
 * const line = (event: PluginChanged) => `${event.plugin} ${event.change} in ${event.chatId}`
 */
export interface PluginChanged {
  readonly type: "plugin-admin.changed"
  readonly chatId: number
  /** The topic the command was written in. */
  readonly threadId: number
  readonly plugin: string
  readonly change: "enabled" | "disabled" | "configured"
  /** Whether it was for that topic only (`here`), or for the whole group. */
  readonly here: boolean
  /** For `configured`: the key changed. */
  readonly key?: string
  /** Who did it (user id), when Telegram named them. */
  readonly by: number | null
}

/**
 * The plugin host gave up delivering an event to a plugin after its last attempt (a dead letter,
 * listed by `/plugin errors <id>`).
 *
 * @example
 * const line = (event: PluginDeadLettered) => `${event.plugin} failed ${event.eventType}: ${event.error}`
 */
export interface PluginDeadLettered {
  readonly type: "plugin-admin.deadLettered"
  /** The group the event was about; `null` when it was about none (not `chatId`: it goes to every group). */
  readonly groupId: number | null
  readonly plugin: string
  readonly eventType: string
  readonly attempts: number
  readonly error: string
}

declare module "../plugins/definePlugin.ts" {
  interface PluginEmittedEvents {
    "plugin-admin.changed": PluginChanged
    "plugin-admin.deadLettered": PluginDeadLettered
  }
}
