import { Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { demoWorld, type DemoWorld } from "../sandbox/Demo.ts"
import { startSandbox, type ServeOptions } from "../sandbox/Server.ts"

/** A sandbox Telegram for the life of the scope. */
export const acquireSandbox = (options: ServeOptions) =>
  Effect.acquireRelease(
    Effect.promise(() => startSandbox(options)),
    (sandbox) => Effect.promise(() => sandbox.close())
  )

const person = (user: { first_name: string; last_name?: string; username?: string; id: number }) =>
  `${[user.first_name, user.last_name].filter(Boolean).join(" ")}${user.username ? ` @${user.username}` : ""} (${user.id})`

/** Who is in the demo workspace, as lines for a person to read. */
export const describeDemo = (demo: DemoWorld): ReadonlyArray<string> => [
  `demo bot: @${demo.bot.user.username ?? ""} (${demo.bot.user.id}), token ${demo.bot.token}`,
  `demo backend group: "${demo.group.title ?? ""}" (${demo.group.id}), a forum where the bot is admin`,
  `demo admin: ${person(demo.admin)}`,
  `demo operators: ${demo.operators.map(person).join(", ")}`,
  `demo clients: ${demo.clients.map(person).join(", ")}`
]

const options = {
  host: Options.text("host").pipe(
    Options.withDefault("127.0.0.1"),
    Options.withDescription("Address to listen on.")
  ),
  port: Options.integer("port").pipe(
    Options.withDefault(8081),
    Options.withDescription("Port to listen on; 0 picks a free one.")
  ),
  demo: Options.boolean("demo").pipe(
    Options.withDescription(
      "Start with the demo workspace: a forum backend group, its bot, a team, three clients."
    )
  ),
  noLimits: Options.boolean("no-limits").pipe(
    Options.withDescription("Switch off Telegram's rate limits (429 Too Many Requests).")
  )
}

/** `backline sandbox`: the Telegram sandbox alone, for bots and scripts to talk to. */
export const sandboxCommand = Command.make("sandbox", options, ({ host, port, demo, noLimits }) =>
  Effect.gen(function* () {
    const sandbox = yield* acquireSandbox({ host, port, limits: { enabled: !noLimits } })
    yield* Console.log(`Telegram sandbox running. Bot API root: ${sandbox.apiRoot}`)
    yield* Console.log(`control API: ${sandbox.url}  (see docs/sandbox.md)`)
    yield* Console.log(`rate limits: ${noLimits ? "off" : "on, as Telegram applies them"}`)
    if (demo) for (const line of describeDemo(demoWorld(sandbox.world))) yield* Console.log(line)
    yield* Console.log("press Ctrl-C to stop")
    return yield* Effect.never
  }).pipe(Effect.scoped)
).pipe(
  Command.withDescription(
    "Serve the built-in Telegram sandbox alone (an empty world, or the demo with --demo) and print its Bot API root."
  )
)
