import { SqlClient } from "@effect/sql"
import { it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { describe, expect } from "vitest"
import { Router } from "../../../src/actors/Router.ts"
import { eventually, MigratedDatabase } from "../../support/Gateway.ts"

const group = { id: -1001, type: "supergroup", title: "Team", is_forum: true }
const alice = { id: 11, is_bot: false, first_name: "Alice" }
const topicCreated = {
  update_id: 1,
  message: {
    message_id: 50,
    date: 1,
    chat: group,
    from: alice,
    message_thread_id: 50,
    is_topic_message: true,
    forum_topic_created: { name: "Support", icon_color: 0 }
  }
}
const privateMessage = {
  update_id: 2,
  message: {
    message_id: 3,
    date: 1,
    chat: { id: 11, type: "private", first_name: "Alice" },
    from: alice,
    text: "hi"
  }
}

describe("Router (real PostgreSQL)", () => {
  it.live("delivers group events to the group actor and marks rows without an actor done", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* Router
      yield* sql`
        insert into inbox (connection_id, update_id, payload) values
          ('bot:7', 1, ${JSON.stringify(topicCreated)}::jsonb), ('bot:7', 2, ${JSON.stringify(privateMessage)}::jsonb)`
      yield* sql`select pg_notify('inbox', 'bot:7')`
      yield* eventually(
        Effect.map(
          sql<{ n: string }>`select count(*) as n from inbox where status = 'done'`.pipe(Effect.orDie),
          (rows) => rows[0]?.n === "2"
        )
      )
      expect(yield* sql`select actor_key, cause, type, event from journal`).toEqual([
        {
          actor_key: "group:-1001",
          cause: "inbox:bot:7/1",
          type: "group.topicRegistered",
          event: {
            type: "group.topicRegistered",
            chatId: -1001,
            threadId: 50,
            name: "Support",
            kind: "unknown"
          }
        }
      ])
    }).pipe(Effect.provide(Router.Default.pipe(Layer.provideMerge(MigratedDatabase))))
  )
})
