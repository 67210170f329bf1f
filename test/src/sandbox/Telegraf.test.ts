import { Markup, Telegraf } from "telegraf"
import { afterEach, describe, expect, it } from "vitest"
import { startSandbox, type RunningSandbox } from "../../../src/sandbox/Server.ts"

// A bot written for Telegram with another library, Telegraf, runs against the sandbox unchanged:
// only its Bot API address points at the sandbox.
const until = async <A>(probe: () => A | undefined, timeoutMs = 10_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error("timed out waiting")
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe("a Telegraf bot against the sandbox", () => {
  let sandbox: RunningSandbox | undefined
  let bot: Telegraf | undefined
  afterEach(async () => {
    bot?.stop("test over")
    await sandbox?.close()
  })

  it("answers /start, echoes text, edits its answer and handles an inline button, by long polling", async () => {
    sandbox = await startSandbox({ limits: { enabled: false } })
    const world = sandbox.world
    const created = world.createBot({ username: "telegraf_echo_bot" })
    const user = world.createUser({ first_name: "Tess", username: "tess" })
    bot = new Telegraf(created.token, { telegram: { apiRoot: sandbox.apiRoot } })
    bot.start((ctx) => ctx.reply(`Hello, ${ctx.from.first_name}!`))
    bot.on("text", async (ctx) => {
      const sent = await ctx.reply(
        `echo: ${ctx.message.text}`,
        Markup.inlineKeyboard([Markup.button.callback("Shout", "shout")])
      )
      await ctx.telegram.editMessageText(
        ctx.chat.id,
        sent.message_id,
        undefined,
        `echo: ${ctx.message.text}!`,
        {
          reply_markup: Markup.inlineKeyboard([Markup.button.callback("Shout", "shout")]).reply_markup
        }
      )
    })
    bot.action("shout", async (ctx) => {
      await ctx.answerCbQuery("shouting")
      await ctx.reply("HELLO")
    })
    void bot.launch({ dropPendingUpdates: false })

    const texts = () => world.messages(created.user.id, user.id).map((message) => message.text)
    world.sendMessage({ from: user.id, chat_id: created.user.id, text: "/start" })
    await until(() => (texts().includes("Hello, Tess!") ? true : undefined))
    world.sendMessage({ from: user.id, chat_id: created.user.id, text: "ping" })
    const echo = await until(() =>
      world.messages(created.user.id, user.id).find((message) => message.text === "echo: ping!")
    )
    expect(echo.from?.id).toBe(created.user.id)
    expect(echo.edit_date).toBeGreaterThan(0)
    const pressed = world.pressButton({
      from: user.id,
      chat_id: created.user.id,
      message_id: echo.message_id,
      data: "shout"
    })
    await until(() => (texts().includes("HELLO") ? true : undefined))
    expect(world.callbackAnswer(pressed.callback_query_id)).toMatchObject({
      answered: true,
      text: "shouting"
    })
    expect(texts()).toEqual(["/start", "Hello, Tess!", "ping", "echo: ping!", "HELLO"])
  })
})
