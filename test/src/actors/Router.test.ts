import { SqlClient } from "@effect/sql"
import { it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { describe, expect } from "vitest"
import { Router } from "../../../src/actors/Router.ts"
import { eventually, MigratedDatabase } from "../../support/Gateway.ts"
import { privateMessage, topicCreated } from "../../support/Updates.ts"

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
