import type { TopicEntry, TopicKind } from "../../machines/index.ts"
import { standardOf, standardTopics, topicLink, type StandardTopic } from "./WorkspaceTopics.ts"

/** How to write `/workspace`, for a wrong one. */
export const usage = [
  "/workspace: the group's topics, their kinds and the plugins on in each",
  "/workspace setup: create the standard topics the group lacks (admins)",
  `/workspace use <kind> here: make this topic one of them (admins); kinds: ${standardTopics
    .map((topic) => topic.kind)
    .join(", ")}`
].join("\n")

/** What `/workspace setup` did for one standard topic. */
export interface SetupLine {
  readonly standard: StandardTopic
  /** `kept`: the group has it; `creating`: asked of Telegram now; `pending`: asked before, not yet made. */
  readonly state: "kept" | "creating" | "pending"
  readonly topic?: TopicEntry
  /** Its plugin: switched on now, on or off by an admin's choice, not loaded, none, or once it exists. */
  readonly plugin: "enabled" | "on" | "off" | "missing" | "none" | "later"
}

const pluginNote = (line: SetupLine) => {
  const id = line.standard.plugin
  switch (line.plugin) {
    case "none":
      return "Backline does not post there"
    case "missing":
      return `${id} not loaded`
    case "off":
      return `${id} off (an admin's choice)`
    case "later":
      return id === null ? "Backline does not post there" : `${id} switched on once it exists`
    default:
      return `${id} on`
  }
}

/** The answer to `/workspace setup`. */
export const setupReply = (lines: ReadonlyArray<SetupLine>, missing: ReadonlyArray<string>) => {
  const creating = lines.filter((line) => line.state !== "kept").length
  const head =
    creating === 0
      ? "The workspace is set up; nothing to change:"
      : `Setting up the workspace: ${creating} topic(s) to create.`
  const body = lines.map((line) => {
    const state =
      line.state === "kept"
        ? `kept (topic ${line.topic?.threadId})`
        : line.state === "creating"
          ? "creating"
          : "being created"
    return `• ${line.standard.name}: ${state}; ${pluginNote(line)}`
  })
  const tail =
    missing.length === 0
      ? []
      : ["", `Not loaded in plugins.json: ${missing.join(", ")}. Their topics stay without them.`]
  return [head, ...body, ...tail].join("\n")
}

const kindName = (kind: TopicKind) =>
  kind === "general" ? "General (system notices)" : (standardOf(kind)?.name ?? "no kind")

/** The answer to `/workspace`. */
export const listReply = (
  chatId: number,
  rows: ReadonlyArray<{ readonly topic: TopicEntry; readonly plugins: ReadonlyArray<string> }>,
  dialogs: number,
  pending: ReadonlyArray<TopicKind>
) => {
  const lines = rows.map(({ topic, plugins }) => {
    const name = topic.name ?? `topic ${topic.threadId}`
    const running = plugins.length === 0 ? "no plugins" : `plugins: ${plugins.join(", ")}`
    return `• ${name} — ${kindName(topic.kind)}; ${running} (${topicLink(chatId, topic.threadId)})`
  })
  const missing = standardTopics.filter(
    (standard) => !rows.some((row) => row.topic.kind === standard.kind) && !pending.includes(standard.kind)
  )
  return [
    "Workspace topics:",
    ...(lines.length === 0 ? ["(none known yet)"] : lines),
    ...(dialogs === 0 ? [] : [`${dialogs} client topic(s).`]),
    ...(pending.length === 0 ? [] : [`Being created: ${pending.map(kindName).join(", ")}.`]),
    ...(missing.length === 0
      ? []
      : [`Missing: ${missing.map((standard) => standard.name).join(", ")}; /workspace setup creates them.`])
  ].join("\n")
}
