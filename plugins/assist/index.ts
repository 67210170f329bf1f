import { Duration, Effect, Option, Schema } from "effect"
import {
  makeChatCompletions,
  type ChatCompletionsError,
  type ChatMessage
} from "../../src/assistants/ChatCompletions.ts"
import { definePlugin, type CommandIssued, type PluginContext } from "../../src/plugins/definePlugin.ts"
import { conversation, Dialog, dialogKey, remember } from "./history.ts"
import { knowledgeFor, knowledgeMessage } from "./knowledge.ts"
import { pressed, propose } from "./proposals.ts"

const defaultDraftPrompt =
  "You are a support agent of the team. Write the team's next answer to the client, in the client's " +
  "language, friendly and brief. Answer with the message text only."
const defaultFixPrompt =
  "Correct the spelling, grammar and punctuation of the user's message. Keep its language, meaning, tone " +
  "and formatting. Answer with the corrected text only."

const Config = Schema.Struct({
  /** The chat-completions server's root (`https://api.openai.com`, `http://127.0.0.1:8080`). */
  url: Schema.String.pipe(Schema.pattern(/^https?:\/\/\S+$/, { message: () => "must be an http(s) URL" })),
  apiKey: Schema.optional(Schema.String),
  model: Schema.optionalWith(Schema.NonEmptyTrimmedString, { default: () => "gpt-4o-mini" }),
  /** At most 8: a plugin's delivery has 10 s (`handlerTimeout`). */
  timeoutSeconds: Schema.optionalWith(Schema.Number.pipe(Schema.between(1, 8)), { default: () => 8 }),
  /** How many recent messages of a dialog are kept and sent with `/draft`. */
  historySize: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 100)), { default: () => 20 }),
  /** How many knowledge-base entries (where that plugin is on) go with `/draft`; 0: none. */
  knowledgeResults: Schema.optionalWith(Schema.Int.pipe(Schema.between(0, 10)), { default: () => 3 }),
  draftPrompt: Schema.optionalWith(Schema.NonEmptyTrimmedString, { default: () => defaultDraftPrompt }),
  fixPrompt: Schema.optionalWith(Schema.NonEmptyTrimmedString, { default: () => defaultFixPrompt })
})
type Config = typeof Config.Type
type Ctx = PluginContext<Config>

const ask = (ctx: Ctx, messages: ReadonlyArray<ChatMessage>) =>
  makeChatCompletions(ctx.http, {
    baseUrl: ctx.config.url,
    apiKey: ctx.config.apiKey,
    model: ctx.config.model,
    timeout: Duration.seconds(ctx.config.timeoutSeconds)
  }).complete(messages)

const failed = (ctx: Ctx, what: string) => (error: ChatCompletionsError) =>
  Effect.zipRight(
    ctx.log.warning(`${what} failed: ${error._tag} ${error.message}`),
    ctx.reply(`⚠️ No ${what}: the assistant is unavailable (${error.message}).`)
  )

const inDialog = (command: CommandIssued, ctx: Ctx) =>
  Effect.map(ctx.storage.topic.get(dialogKey, Dialog), (found) =>
    command.topicKind === "dialog" ? found : Option.none<Dialog>()
  ).pipe(Effect.orElseSucceed(() => Option.none<Dialog>()))

const draft = (command: CommandIssued, ctx: Ctx) =>
  Effect.gen(function* () {
    const dialog = yield* inDialog(command, ctx)
    if (Option.isNone(dialog) || dialog.value.lines.length === 0)
      return yield* ctx.reply(
        command.topicKind === "dialog"
          ? "Nothing to draft from yet: no messages of this dialog were seen since the assistant was enabled here."
          : "/draft works in a client's topic."
      )
    const lines = dialog.value.lines
    const [prompt, ...history] = conversation(ctx.config.draftPrompt, lines)
    const knowledge = knowledgeMessage(yield* knowledgeFor(ctx, lines, ctx.config.knowledgeResults))
    const answer = yield* ask(ctx, [prompt!, ...knowledge, ...history])
    yield* propose(command, ctx, "draft", answer.text)
  }).pipe(Effect.catchAll(failed(ctx, "draft")))

const fix = (command: CommandIssued, ctx: Ctx) =>
  Effect.gen(function* () {
    const replied = command.message.reply_to_message
    // An internal comment (`/ text`) is a fine place to prepare an answer: its mark is not part of it.
    const text = (command.args !== "" ? command.args : (replied?.text ?? replied?.caption ?? "")).replace(
      /^\/\s+/,
      ""
    )
    if (text.trim() === "")
      return yield* ctx.reply("Reply /fix to your text (or write /fix <text>) to have it corrected.")
    const answer = yield* ask(ctx, [
      { role: "system", content: ctx.config.fixPrompt },
      { role: "user", content: text }
    ])
    yield* propose(command, ctx, "fix", answer.text)
  }).pipe(Effect.catchAll(failed(ctx, "correction")))

export default definePlugin({
  id: "assist",
  description:
    "Reply drafts from the dialog and the knowledge base (/draft) and spelling fixes (/fix) by a chat-completions model",
  config: Config,
  on: {
    "dialog.clientWrote": (event, ctx) => remember(event, ctx, ctx.config.historySize),
    "dialog.teamAnswered": (event, ctx) => remember(event, ctx, ctx.config.historySize),
    "group.buttonPressed": (event, ctx) =>
      event.data?.startsWith("assist:") === true ? pressed(event, ctx) : Effect.void
  },
  commands: [
    {
      name: "draft",
      description: "Propose an answer to the client from the dialog so far and the knowledge base",
      run: draft
    },
    {
      name: "fix",
      description: "Correct spelling and grammar of your text (reply to it)",
      args: "[text]",
      run: fix
    }
  ]
})
