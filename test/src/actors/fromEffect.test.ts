import { it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber } from "effect"
import { describe, expect } from "vitest"
import { assign, createActor, setup, toPromise, waitFor } from "xstate"
import { fromEffect } from "../../../src/actors/fromEffect.ts"

describe("fromEffect", () => {
  it.live("runs the effect with the given runtime; its value is the output, its failure the error", () =>
    Effect.gen(function* () {
      const runtime = yield* Effect.runtime<never>()
      const double = fromEffect(runtime, ({ input }: { input: number }) => Effect.succeed(input * 2))
      expect(yield* Effect.promise(() => toPromise(createActor(double, { input: 21 }).start()))).toBe(42)

      const failing = fromEffect(runtime, () => Effect.fail("no such chat"))
      const machine = setup({ actors: { failing } }).createMachine({
        context: { error: "" },
        initial: "asking",
        states: {
          asking: {
            invoke: {
              src: "failing",
              onError: { target: "failed", actions: assign({ error: ({ event }) => String(event.error) }) }
            }
          },
          failed: {}
        }
      })
      const actor = createActor(machine).start()
      const snapshot = yield* Effect.promise(() => waitFor(actor, (state) => state.matches("failed")))
      expect(snapshot.context.error).toBe("no such chat")
    })
  )

  it.live("interrupts the effect when the actor stops", () =>
    Effect.gen(function* () {
      const runtime = yield* Effect.runtime<never>()
      const started = yield* Deferred.make<void>()
      const interrupted = yield* Deferred.make<void>()
      const forever = fromEffect(runtime, () =>
        Deferred.succeed(started, undefined).pipe(
          Effect.zipRight(Effect.never),
          Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined))
        )
      )
      const machine = setup({ actors: { forever } }).createMachine({
        initial: "waiting",
        states: { waiting: { invoke: { src: "forever" }, on: { cancel: "cancelled" } }, cancelled: {} }
      })
      const actor = createActor(machine).start()
      yield* Deferred.await(started)
      actor.send({ type: "cancel" }) // leaving the state stops the invoked actor
      const exit = yield* Deferred.await(interrupted).pipe(
        Effect.timeout("2 seconds"),
        Effect.fork,
        Effect.flatMap(Fiber.await)
      )
      expect(Exit.isSuccess(exit)).toBe(true)
    })
  )
})
