// One grammY scenario against two Bot API emulators: this sandbox and the independent npm package
// telegram-test-api. Both must show the bot and the user the same things once ids and dates are
// normalised. The scenario keeps to what telegram-test-api models (private chats, sendMessage,
// editMessageText, callback queries); its own shortcuts are projected away below and listed in
// docs/sandbox.md ("Cross-checked against telegram-test-api").
import { createServer } from "node:net"
import { Bot, type Context } from "grammy"
import type { InlineKeyboardMarkup, Message, Update } from "grammy/types"
import { TelegramServer } from "telegram-test-api/lib/telegramServer.js"
import { describe, expect, it } from "vitest"
import { sandbox } from "./harness.ts"

const keyboard: InlineKeyboardMarkup = { inline_keyboard: [[{ text: "Done", callback_data: "done" }]] }
const person = { firstName: "Ann", username: "ann_cross" }

/** A bot message as the user sees it in the chat. */
interface Seen {
  readonly id: number
  readonly text: string | undefined
  readonly keyboard: InlineKeyboardMarkup["inline_keyboard"] | undefined
}

/** One emulator: where grammY connects, and the user's side of the private chat with the bot. */
interface Emulator {
  readonly apiRoot: string
  readonly token: string
  readonly userId: number
  readonly writes: (text: string) => Promise<void>
  /** Bot messages in the private chat, oldest first, as they are now. */
  readonly sees: () => Promise<Array<Seen>>
  readonly presses: (message: Seen, data: string) => Promise<void>
  readonly close: () => Promise<void>
}

const sandboxEmulator = async (): Promise<Emulator> => {
  const box = await sandbox()
  const user = box.world.createUser({ first_name: person.firstName, username: person.username })
  const { user: botUser, token } = box.world.createBot({ username: "cross_bot" })
  return {
    apiRoot: box.apiRoot,
    token,
    userId: user.id,
    writes: (text) => {
      box.world.sendMessage({ from: user.id, chat_id: botUser.id, text })
      return Promise.resolve()
    },
    sees: () =>
      Promise.resolve(
        box.world
          .messages(botUser.id, user.id)
          .filter((m) => m.from?.id === botUser.id)
          .map((m) => ({ id: m.message_id, text: m.text, keyboard: m.reply_markup?.inline_keyboard }))
      ),
    presses: (message, data) => {
      box.world.pressButton({ from: user.id, chat_id: botUser.id, message_id: message.id, data })
      return Promise.resolve()
    },
    close: () => Promise.resolve() // the harness closes the sandbox after the test
  }
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once("error", reject)
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address()
      probe.close(() =>
        typeof address === "object" && address !== null
          ? resolve(address.port)
          : reject(new Error("no port to probe"))
      )
    })
  })

const telegramTestApi = async (): Promise<Emulator> => {
  const server = new TelegramServer({ port: await freePort(), host: "127.0.0.1" })
  await server.start()
  const token = "2000:cross-check"
  const userId = 5001
  const client = server.getClient(token, {
    userId,
    chatId: userId,
    firstName: person.firstName,
    userName: person.username
  })
  return {
    apiRoot: server.config.apiURL,
    token,
    userId,
    writes: async (text) => void (await client.sendMessage(client.makeMessage(text))),
    // The package keeps what the bot sent as the sendMessage parameters, edits merged in.
    sees: async () =>
      (await client.getUpdatesHistory()).flatMap((update) => {
        if (!("message" in update) || !("chat_id" in update.message)) return []
        const sent = update.message as { text?: string; reply_markup?: InlineKeyboardMarkup }
        return [{ id: update.messageId, text: sent.text, keyboard: sent.reply_markup?.inline_keyboard }]
      }),
    presses: async (message, data) =>
      void (await client.sendCallback(
        client.makeCallbackQuery(data, {
          message: { message_id: message.id, ...(message.text !== undefined ? { text: message.text } : {}) }
        })
      )),
    close: async () => void (await server.stop())
  }
}

/** Polls an asynchronous probe until it holds; telegram-test-api is only readable over HTTP. */
const until = async (probe: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** The story: the user writes, the bot answers with a button and edits its answer, the user presses the button. */
const scenario = async (emulator: Emulator) => {
  const bot = new Bot(emulator.token, { client: { apiRoot: emulator.apiRoot } })
  const updates: Array<Update> = []
  const results: { reply?: Message.TextMessage; answered?: unknown } = {}
  bot.use(async (ctx: Context, next) => {
    updates.push(ctx.update)
    await next()
  })
  bot.on("message:text", async (ctx) => {
    results.reply = await ctx.reply(`Got: ${ctx.msg.text}`, { reply_markup: keyboard })
    await ctx.api.editMessageText(ctx.chat.id, results.reply.message_id, `Got: ${ctx.msg.text} (seen)`, {
      reply_markup: keyboard
    })
  })
  bot.on("callback_query:data", async (ctx) => {
    results.answered = await ctx.answerCallbackQuery({ text: "Closed" })
  })
  bot.catch((error) => {
    throw error.error
  })
  void bot.start({ timeout: 1 })
  try {
    await emulator.writes("hello there")
    await until(async () => (await emulator.sees()).some((m) => m.text?.endsWith("(seen)")))
    const afterEdit = await emulator.sees()
    await emulator.presses(afterEdit[0]!, "done")
    await until(() => "answered" in results)
    return { updates, results, afterEdit }
  } finally {
    await bot.stop()
    await emulator.close()
  }
}

/** What a bot author and the user observe, with ids and dates replaced by their meaning. */
const observe = (emulator: Emulator, run: Awaited<ReturnType<typeof scenario>>) => {
  const message = run.updates.find((u) => u.message !== undefined)?.message
  const query = run.updates.find((u) => u.callback_query !== undefined)?.callback_query
  const reply = run.results.reply
  return {
    kinds: run.updates.map((u) => Object.keys(u).find((key) => key !== "update_id")),
    updateIdsIncrease: run.updates.every((u, i) => i === 0 || u.update_id > run.updates[i - 1]!.update_id),
    message: message && {
      text: message.text,
      entities: message.entities,
      from: {
        first_name: message.from?.first_name,
        username: message.from?.username,
        is_bot: message.from?.is_bot
      },
      fromIsUser: message.from?.id === emulator.userId,
      chat: { type: message.chat.type, isUser: message.chat.id === emulator.userId }
    },
    reply: reply && {
      text: reply.text,
      reply_markup: reply.reply_markup,
      chatIsUser: reply.chat.id === emulator.userId,
      chatType: reply.chat.type,
      newMessage: reply.message_id !== message?.message_id
    },
    userSees: run.afterEdit.map((m) => ({
      text: m.text,
      keyboard: m.keyboard,
      isReply: m.id === reply?.message_id
    })),
    callback: query && {
      data: query.data,
      fromIsUser: query.from.id === emulator.userId,
      from: { first_name: query.from.first_name, username: query.from.username },
      idIsString: typeof query.id === "string",
      messageIsReply: query.message?.message_id === reply?.message_id,
      messageText: query.message !== undefined && "text" in query.message ? query.message.text : undefined
    }
  }
}

describe("cross-check against telegram-test-api", () => {
  it("a private message, a reply with a button, its edit and the button press look the same on both", async () => {
    const ours = await sandboxEmulator()
    const theirs = await telegramTestApi()
    const runs = [await scenario(ours), await scenario(theirs)] as const
    const [sandboxView, referenceView] = [observe(ours, runs[0]), observe(theirs, runs[1])]
    expect(sandboxView).toEqual(referenceView)
    // And the shared view is the story told, so the comparison cannot pass on two empty runs.
    expect(sandboxView).toMatchObject({
      kinds: ["message", "callback_query"],
      updateIdsIncrease: true,
      message: { text: "hello there", fromIsUser: true, chat: { type: "private", isUser: true } },
      reply: { text: "Got: hello there", reply_markup: keyboard, chatIsUser: true, newMessage: true },
      userSees: [{ text: "Got: hello there (seen)", keyboard: keyboard.inline_keyboard, isReply: true }],
      callback: {
        data: "done",
        fromIsUser: true,
        messageIsReply: true,
        messageText: "Got: hello there (seen)"
      }
    })
    // answerCallbackQuery answers true in Telegram; telegram-test-api answers null and keeps nothing.
    expect(runs[0].results.answered).toBe(true)
  })
})
