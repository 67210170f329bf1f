import { Cause, Effect, Exit, Runtime } from "effect"
import { fromPromise, type AnyActorRef, type NonReducibleUnknown, type PromiseActorLogic } from "xstate"

/** What the effect of a `fromEffect` actor is given. */
export interface FromEffectArgs<TInput> {
  readonly input: TInput
  readonly self: AnyActorRef
}

/**
 * An XState actor logic (like `fromPromise`) that runs an Effect with `runtime`: its success is the
 * actor's output (`onDone`), its failure the actor's error (`onError`, the squashed cause). When
 * the actor stops (its state is left, or its parent stops) the fiber is interrupted.
 *
 * Machines stay pure: they name the actor (`invoke: { src: "lookupChat" }`) and the host provides
 * the implementation, built with the host's runtime.
 *
 * @example
 * const runtime = yield* Effect.runtime<BotApi>()
 * machine.provide({
 *   actors: { lookupChat: fromEffect(runtime, ({ input }: { input: { chatId: number } }) => getChat(input.chatId)) }
 * })
 */
export const fromEffect = <TOutput, TInput = NonReducibleUnknown, E = unknown, R = never>(
  runtime: Runtime.Runtime<R>,
  effect: (args: FromEffectArgs<TInput>) => Effect.Effect<TOutput, E, R>
): PromiseActorLogic<TOutput, TInput> =>
  fromPromise<TOutput, TInput>(async ({ input, self, signal }) => {
    // Log lines carry the key of the actor that invoked the effect (the root actor's id).
    let root: AnyActorRef = self
    while (root._parent !== undefined) root = root._parent
    const annotated = Effect.annotateLogs(effect({ input, self }), { actor: root.id })
    const exit = await Runtime.runPromiseExit(runtime)(annotated, { signal })
    if (Exit.isSuccess(exit)) return exit.value
    throw Cause.squash(exit.cause)
  })
