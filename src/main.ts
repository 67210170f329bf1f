import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Effect } from "effect"
import { runCli } from "./cli/Cli.ts"
import { describeCause } from "./cli/StartupFailure.ts"

/** After SIGINT/SIGTERM, in-flight work has this long to finish before the process is ended. */
const shutdownDeadlineMs = 20_000

// A Ctrl-C under `npm start` arrives twice at once: from the terminal to the whole process group,
// and forwarded by npm. Signals within this window count as one; a later one forces the exit.
const duplicateWindowMs = 1_000

let firstSignalAt: number | undefined
const onSignal = (signal: NodeJS.Signals) => {
  if (firstSignalAt === undefined) {
    firstSignalAt = Date.now()
    setTimeout(() => {
      process.stderr.write(`backline: shutdown took longer than ${shutdownDeadlineMs / 1000}s; exiting\n`)
      process.exit(1)
    }, shutdownDeadlineMs).unref()
  } else if (Date.now() - firstSignalAt > duplicateWindowMs) {
    process.stderr.write(`backline: second ${signal}; exiting now\n`)
    process.exit(130)
  }
}
process.on("SIGINT", onSignal)
process.on("SIGTERM", onSignal)

const main = runCli(process.argv).pipe(
  Effect.tapErrorCause((cause) =>
    Effect.sync(() => {
      if (Cause.isInterruptedOnly(cause)) return
      const line = describeCause(cause)
      if (line === undefined) process.stderr.write(`backline: unexpected failure\n${Cause.pretty(cause)}\n`)
      else if (line !== "") process.stderr.write(`backline: ${line}\n`)
    })
  ),
  Effect.provide(NodeContext.layer)
)

NodeRuntime.runMain(main, { disableErrorReporting: true, disablePrettyLogger: true })
