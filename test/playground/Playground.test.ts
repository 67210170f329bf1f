import { copyFile, mkdir, mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { chromium, type BrowserContext, type Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ensurePlaygroundBuilt } from "../../src/playground/Assets.ts"
import { BacklineProcess } from "../support/Backline.ts"
import { createTestDatabase } from "../support/Database.ts"

// Debian's chromium (scripts/ensure-debian-packages.mjs installs it), never a downloaded browser.
const executablePath = "/usr/bin/chromium"
const flags = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync"
]
const artifacts = path.resolve("test-artifacts/playground")
const wait = { timeout: 20_000 }

let database: { url: string; drop: () => Promise<void> }
let backline: BacklineProcess
let profile: string
let browser: BrowserContext
let url: string

beforeAll(async () => {
  await ensurePlaygroundBuilt()
  await mkdir(artifacts, { recursive: true })
  database = await createTestDatabase()
  // What `npm start` runs with no BOT_TOKEN: the sandbox with its demo world, and the playground.
  backline = new BacklineProcess(["start"], { DATABASE_URL: database.url, HTTP_PORT: "0" })
  url = await backline.running()
  await backline.waitFor(/playground: open (\S+)/)
  // A fresh profile each run; headless (Playwright adds --headless).
  profile = await mkdtemp(path.join(tmpdir(), "backline-chromium-"))
  browser = await chromium.launchPersistentContext(profile, {
    executablePath,
    args: flags,
    viewport: { width: 1280, height: 740 }
  })
})

afterAll(async () => {
  await browser?.close()
  if (profile) await rm(profile, { recursive: true, force: true })
  await backline?.stop()
  await database?.drop()
})

const shot = async (page: Page, name: string) => {
  const file = path.join(artifacts, `${name}.png`)
  await page.screenshot({ path: file, fullPage: true })
  return file
}

const topic = (page: Page, name: RegExp) =>
  page.getByRole("navigation", { name: "Topics" }).getByRole("button", { name })

describe("the playground", () => {
  it("a client writes, the topic awaits the team, an operator answers, the client sees it, the operator closes it", async () => {
    const page = browser.pages()[0] ?? (await browser.newPage())
    await page.goto(`${url}/`)
    await expect.poll(() => page.getByRole("status").textContent(), wait).toContain("live")
    await page.getByRole("combobox", { name: "Client" }).selectOption({ label: "Alice @alice_client" })
    await page
      .getByRole("combobox", { name: "Team member" })
      .selectOption({ label: "Oleg Operator (operator)" })

    const toBot = page.getByRole("textbox", { name: "Message to the bot" })
    await toBot.fill("My order #1042 is late")
    await toBot.press("Enter")
    const clientChat = page.getByRole("list", { name: "Messages between Alice and the bot" })
    await clientChat.getByText("My order #1042 is late").waitFor(wait)
    await shot(page, "1-client-writes")

    // The topic opens with the awaiting mark, named after the client, with an unread count.
    const awaiting = topic(page, /^🔴 Alice, client topic, awaiting team, \d+ unread$/)
    await awaiting.waitFor(wait)
    await shot(page, "2-topic-awaits-the-team")

    await awaiting.click()
    const inTopic = page.getByRole("list", { name: "Messages in the topic" })
    await inTopic.getByText("My order #1042 is late").waitFor(wait)
    const reply = page.getByRole("textbox", { name: "Reply to the client" })
    await reply.fill("It ships today, sorry for the wait")
    await reply.press("Enter")
    await inTopic.getByText("It ships today, sorry for the wait").waitFor(wait)
    await shot(page, "3-operator-answers")

    // Live, with no reload: the client sees the answer, and the mark turns to answered.
    await clientChat.getByText("It ships today, sorry for the wait").waitFor(wait)
    await topic(page, /^🟢 Alice, client topic, answered/).waitFor(wait)
    const readme = await shot(page, "4-client-sees-the-answer")
    if (process.env["UPDATE_SCREENSHOTS"] === "1") await copyFile(readme, path.resolve("docs/playground.png"))

    // An internal comment stays in the group.
    await page.getByRole("radio", { name: "Internal comment" }).check()
    const comment = page.getByRole("textbox", { name: "Internal comment" })
    await comment.fill("refund if it slips again")
    await comment.press("Enter")
    await inTopic.getByText("/ refund if it slips again").waitFor(wait)

    await page.getByRole("button", { name: "Send /close" }).click()
    await topic(page, /^⚪ Alice, client topic, closed$/).waitFor(wait)
    await shot(page, "5-operator-closes-it")
    expect(await clientChat.getByText("refund if it slips again").count()).toBe(0)
    await page.close()
  })

  it("is named, usable by keyboard and readable in a narrow window; sends files and creates clients", async () => {
    const page = await browser.newPage()
    await page.setViewportSize({ width: 390, height: 844 })
    await page.goto(`${url}/`)
    await expect.poll(() => page.getByRole("status").textContent(), wait).toContain("live")

    // Every control has an accessible name.
    const tree = await page.locator("body").ariaSnapshot()
    const unnamed = tree
      .split("\n")
      .filter((line) => /^\s*- (button|textbox|combobox|radio|checkbox|link)\b(?! ")/.test(line))
    expect(unnamed).toEqual([])

    // A new client, by keyboard only: Tab to "New client", Enter, type the name, Enter.
    // The page has no DOM types here (the tests compile for Node): expressions as text.
    const focused = () => page.evaluate<string>(`document.activeElement?.textContent?.trim() ?? ""`)
    for (let i = 0; i < 10 && (await focused()) !== "New client"; i++) await page.keyboard.press("Tab")
    expect(await focused()).toBe("New client")
    await page.keyboard.press("Enter")
    await page.keyboard.type("Dmitri")
    await page.keyboard.press("Enter")
    await expect
      .poll(
        () => page.getByRole("combobox", { name: "Client" }).locator("option:checked").textContent(),
        wait
      )
      .toBe("Dmitri")
    await page.keyboard.press("Tab")
    const toBot = page.getByRole("textbox", { name: "Message to the bot" })
    await toBot.focus()
    await page.keyboard.type("Hello from Dmitri")
    await page.keyboard.press("Enter")

    // A photo and a document from the file pickers.
    const png = Buffer.from(
      "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
      "base64"
    )
    await page
      .getByLabel("Send a photo")
      .setInputFiles({ name: "parcel.png", mimeType: "image/png", buffer: png })
    const chat = page.getByRole("list", { name: "Messages between Dmitri and the bot" })
    await chat.getByText("📷 Photo").waitFor(wait)
    await page
      .getByLabel("Send a document")
      .setInputFiles({ name: "invoice.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.4\n") })
    await chat.getByText("📄 Document invoice.pdf").waitFor(wait)
    await page
      .getByLabel("Send a voice note")
      .setInputFiles({ name: "note.ogg", mimeType: "audio/ogg", buffer: Buffer.from("OggS voice") })
    await chat.getByText("🎤 Voice note").waitFor(wait)

    // A reaction on the bot's welcome shows under it.
    const welcome = chat.getByRole("listitem").filter({ hasText: "Thanks for writing" })
    await welcome.getByRole("button", { name: /^React to message/ }).click()
    await welcome.getByRole("button", { name: "React with 👍" }).click()
    await welcome.getByLabel("Reactions").getByText("👍 1").waitFor(wait)

    // The team sees Dmitri's topic; opened by keyboard, it holds the copies.
    const dmitri = topic(page, /^🔴 Dmitri, client topic/)
    await dmitri.waitFor(wait)
    await dmitri.focus()
    await page.keyboard.press("Enter")
    const inTopic = page.getByRole("list", { name: "Messages in the topic" })
    await inTopic.getByText("📄 Document invoice.pdf").waitFor(wait)

    // The client edits a message and the copy in the topic follows.
    await chat
      .getByRole("button", { name: /^Edit message/ })
      .first()
      .click()
    await page.getByRole("textbox", { name: "New text" }).fill("Hello from Dmitri, again")
    await page.getByRole("textbox", { name: "New text" }).press("Enter")
    await inTopic.getByText("Hello from Dmitri, again").waitFor(wait)

    const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth")
    expect(overflow).toBeLessThanOrEqual(0)
    await shot(page, "narrow-window")
    await page.close()
  })
})
