import { Command } from "@effect/cli"
import packageJson from "../../package.json" with { type: "json" }
import { migrateCommand } from "./Migrate.ts"
import { sandboxCommand } from "./Sandbox.ts"
import { startCommand } from "./Start.ts"
import { tokenCommand } from "./Token.ts"
import { webhookCommand } from "./Webhook.ts"

const backline = Command.make("backline").pipe(
  Command.withDescription("Backline: a Telegram forum supergroup as your team's whole workspace."),
  Command.withSubcommands([startCommand, migrateCommand, sandboxCommand, webhookCommand, tokenCommand])
)

/** Parses `argv` (as in `process.argv`) and runs the chosen command. */
export const runCli = Command.run(backline, { name: "Backline", version: `v${packageJson.version}` })
