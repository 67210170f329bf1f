import type { Message } from "grammy/types"
import type { Topic } from "./api.ts"

/** General, the group's first thread, which the control API lists under thread 1. */
export const general = 1

const statuses: ReadonlyArray<[string, string]> = [
  ["🔴", "awaiting team"],
  ["🟢", "answered"],
  ["🟡", "on hold"],
  ["⚪", "closed"]
]

/** A topic's kind and, for a client's topic, the status its title's mark shows. */
export const describeTopic = (topic: Topic): { kind: "client" | "team"; status?: string; mark?: string } => {
  const found = statuses.find(([mark]) => topic.name.startsWith(mark))
  return found ? { kind: "client", mark: found[0], status: found[1] } : { kind: "team" }
}

/** The thread a message of the group belongs to (General for none). */
export const threadOf = (m: Message): number =>
  m.is_topic_message ? (m.message_thread_id ?? general) : general
