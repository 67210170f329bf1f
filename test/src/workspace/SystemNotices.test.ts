import { SqlClient } from "@effect/sql"
import { layer } from "@effect/vitest"
import { Effect } from "effect"
import { expect } from "vitest"
import { definePlugin } from "../../../src/plugins/definePlugin.ts"
import { NoticeGroups } from "../../../src/workspace/NoticeGroups.ts"
import { makeSystemNotices } from "../../../src/workspace/SystemNotices.ts"
import { MigratedDatabase } from "../../support/Gateway.ts"
import { groupMessage, makeHarness } from "../../support/PluginHarness.ts"

const group = -100555
const texts = (outbox: ReadonlyArray<{ method: string; chatId: number; params: Record<string, unknown> }>) =>
  outbox.map(({ chatId, params }) => [chatId, params["message_thread_id"] ?? "General", params["text"]])

layer(MigratedDatabase, { timeout: 60_000 })("system notices in General", (it) => {
  it.scoped(
    "a connection added, rate limited for long, refused and back online is told in its group's General",
    () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* sql`
        insert into connection (id, kind, token, api_root, backend_group_id)
        values ('bot:55', 'bot', '55:notices', 'http://127.0.0.1:9', ${group}) on conflict do nothing`
        const notices = yield* makeSystemNotices.pipe(Effect.provide(NoticeGroups.Default))
        const harness = yield* makeHarness(notices.plugin)
        const connection = "bot:55"
        yield* harness.deliver({ type: "connection.online", connection })
        yield* harness.deliver({ type: "connection.online", connection }) // no change: nothing
        yield* harness.deliver({ type: "connection.floodWaiting", connection, retryAfter: 5 }) // short: nothing
        yield* harness.deliver({ type: "connection.floodWaiting", connection, retryAfter: 120 })
        yield* harness.deliver({ type: "connection.online", connection })
        yield* harness.deliver({ type: "connection.unauthorized", connection, reason: "401: Unauthorized" })
        expect(texts(yield* harness.outbox)).toEqual([
          [group, "General", "Connection bot:55 added: online."],
          [
            group,
            "General",
            "Connection bot:55: Telegram asks it to wait 120 s (flood limit); messages are held until then."
          ],
          [group, "General", "Connection bot:55 is back online."],
          [
            group,
            "General",
            "Connection bot:55 is failing: Telegram refused it (401: Unauthorized). Check its token or session."
          ]
        ])
      })
  )

  it.scoped("plugin changes made outside General, and dead letters, are told in General", () =>
    Effect.gen(function* () {
      const notices = yield* makeSystemNotices.pipe(Effect.provide(NoticeGroups.Default))
      const harness = yield* makeHarness(notices.plugin)
      const changed = {
        type: "plugin-admin.changed" as const,
        chatId: group,
        threadId: 7,
        plugin: "tally",
        change: "enabled" as const,
        here: true,
        by: 21
      }
      yield* harness.deliver(changed)
      yield* harness.deliver({ ...changed, threadId: 1 }) // in General the answer was the notice
      yield* harness.deliver({ ...changed, change: "configured", here: false, key: "label", by: null })
      yield* harness.deliver({
        type: "plugin-admin.deadLettered",
        groupId: group,
        plugin: "tally",
        eventType: "group.messagePosted",
        attempts: 5,
        error: "boom"
      })
      expect(texts(yield* harness.outbox)).toEqual([
        [group, "General", "Plugins: tally switched on in topic 7 (https://t.me/c/555/7) by user 21."],
        [group, "General", "Plugins: tally: label changed for the group."],
        [
          group,
          "General",
          "Plugins: tally gave up on group.messagePosted after 5 attempt(s): boom. /plugin errors tally lists it, with a Retry button."
        ]
      ])
    })
  )

  it.scoped("a delivery given up on is journalled for the notices, with its group", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const failing = definePlugin({
        id: "always-failing",
        description: "Fails every message",
        on: { "group.messagePosted": () => Effect.fail("boom") }
      })
      const harness = yield* makeHarness(failing, { host: { maxAttempts: 1 } })
      yield* harness.deliver(groupMessage({ chatId: group, threadId: 4, text: "hi" }))
      const rows = yield* sql<{ actor_key: string; event: unknown }>`
        select actor_key, event from journal where cause like 'dead:always-failing/%' order by seq`
      expect(rows).toEqual([
        {
          actor_key: "plugin:plugin-admin",
          event: {
            type: "plugin-admin.deadLettered",
            plugin: "always-failing",
            eventType: "group.messagePosted",
            attempts: 1,
            error: expect.stringContaining("boom") as unknown,
            groupId: group
          }
        }
      ])
    })
  )
})
