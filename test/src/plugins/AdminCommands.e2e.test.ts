import * as path from "node:path"
import { Api } from "grammy"
import { describe, expect, it } from "vitest"
import { eventually, useDemo, type Demo, type SeenMessage } from "../../support/Demo.ts"

const GENERAL = 1

describe("the admin commands, end to end: backline start on the sandbox demo with two plugins", () => {
  const flaky = path.resolve("test/src/plugins/fixtures/flaky.ts")
  let demo: Demo
  useDemo((started) => (demo = started), {
    plugins: [{ id: "announcements" }, { id: "flaky", package: flaky, config: { broken: true } }]
  })

  const admin = () => demo.admin.id
  const oleg = () => demo.operators[0]!.id

  /** `from` writes `text` in a topic (General by default). */
  const say = (from: number, text: string, thread = GENERAL) =>
    thread === GENERAL
      ? demo.post("/messages", { from, chat_id: demo.group, text })
      : demo.teamSays(from, thread, text)

  /** The bot's answer to `sent`, in the topic it was written in. */
  const answerTo = (sent: SeenMessage, thread = GENERAL) =>
    eventually(async () =>
      (await demo.topicMessages(admin(), thread)).find(
        (message) => message.from?.id === demo.bot && message.reply_to_message?.message_id === sent.message_id
      )
    )

  /** `from` writes a command; answers the bot's reply to it. */
  const ask = async (from: number, text: string, thread = GENERAL) =>
    answerTo(await say(from, text, thread), thread)

  it("an operator's /plugin disable is refused and nothing changes", async () => {
    expect((await ask(oleg(), "/plugin disable announcements")).text).toBe(
      "/plugin is for the group's admins only."
    )
    const listed = (await ask(admin(), "/plugins")).text!
    expect(listed.split("\n")).toEqual([
      "Plugins (in the group · in this topic):",
      "• announcements: on · on — Only admins post in the announcements topic; their posts can be pinned",
      "• flaky: on · on — Fails on boom while broken",
      "Switch one with /plugin enable|disable <id> [here]; /plugin help <id> tells more."
    ])
  })

  it("the admin switches a plugin on only in a topic and configures it; a bad value is refused by its key", async () => {
    const news = (
      await demo.post<{ message_thread_id: number }>(`/chats/${demo.group}/topics`, {
        from: admin(),
        name: "News"
      })
    ).message_thread_id
    expect((await ask(admin(), "/plugin disable announcements", news)).text).toBe(
      "announcements is now off in this group."
    )
    expect((await ask(admin(), "/plugin enable announcements here", news)).text).toBe(
      "announcements is now on in this topic."
    )
    expect((await ask(admin(), "/plugins", news)).text).toContain("• announcements: off · on (set here) —")
    expect((await ask(admin(), "/plugins")).text).toContain("• announcements: off · off —")

    expect((await ask(admin(), '/plugin config announcements notice ""', news)).text).toBe(
      "announcements: config.notice: must not be empty. Nothing changed."
    )
    expect((await ask(admin(), "/plugin config announcements pin sometimes", news)).text).toBe(
      'announcements: config.pin: Expected boolean, actual "sometimes". Nothing changed.'
    )
    expect((await ask(admin(), '/plugin config announcements notice "Please post in Team"', news)).text).toBe(
      'announcements: notice is now "Please post in Team" in this group.'
    )
    expect((await ask(admin(), "/plugin config announcements", news)).text).toBe(
      [
        "announcements configuration in force here:",
        "topic: not set",
        'notice = "Please post in Team" (set for the group)',
        "pin = false (default)",
        "Set one for the group with /plugin config announcements <key> <value>."
      ].join("\n")
    )
    expect((await ask(admin(), "/plugin help announcements", news)).text).toBe(
      [
        "announcements: Only admins post in the announcements topic; their posts can be pinned",
        "Commands:",
        "/announcements here (admins) — Make this topic the team's announcements, where only admins post",
        "Configuration in force here:",
        "topic: not set",
        'notice = "Please post in Team" (set for the group)',
        "pin = false (default)"
      ].join("\n")
    )
  })

  it("/plugin errors lists a dead delivery with Retry, which retries it for admins and answers the press", async () => {
    const boom = await say(oleg(), "boom")
    await demo.backline.waitFor(
      /plugin flaky: group\.messagePosted failed \(attempt 5 of 5\), dead-lettered/,
      60_000
    )
    const listed = await ask(admin(), "/plugin errors flaky")
    expect(listed.text).toMatch(
      /^flaky: 1 failed delivery in this group, newest first:\n1\. group\.messagePosted of group:-\d+, 5 attempts, last [\d-]+ [\d:]+ UTC: the service said no\nRetry sends them to the plugin again\.$/
    )
    expect(listed.reply_markup?.inline_keyboard).toEqual([
      [{ text: "Retry", callback_data: "plugin-admin:retry:flaky" }]
    ])
    expect((await ask(admin(), "/plugin config flaky broken false")).text).toBe(
      "flaky: broken is now false in this group."
    )

    const press = async (from: number) => {
      const { callback_query_id } = await demo.post<{ callback_query_id: string }>("/callbacks", {
        from,
        chat_id: demo.group,
        message_id: listed.message_id,
        data: "plugin-admin:retry:flaky"
      })
      return eventually(async () => {
        const response = await fetch(`${demo.apiRoot}/sandbox/v1/callbacks/${callback_query_id}`)
        const answer = (await response.json()) as { answered: boolean; text?: string }
        return answer.answered ? answer.text : undefined
      })
    }
    expect(await press(oleg())).toBe("Only the group's admins can retry.")
    expect(await press(admin())).toBe("Retrying 1 delivery of flaky.")
    expect((await answerTo(boom)).text).toBe("boom handled")
    expect((await ask(admin(), "/plugin errors flaky")).text).toBe(
      "flaky has no failed deliveries in this group."
    )
  }, 90_000)

  it("an operator made admin may use the commands at once: the membership update refreshes the check", async () => {
    expect((await ask(oleg(), "/plugin disable flaky")).text).toBe("/plugin is for the group's admins only.")
    await demo.post(`/chats/${demo.group}/members`, { user_id: oleg(), status: "administrator", by: admin() })
    expect((await ask(oleg(), "/plugin disable flaky")).text).toBe("flaky is now off in this group.")
    expect((await ask(admin(), "/plugins")).text).toContain("• flaky: off · off —")
  })

  it("the admin commands are in the chat administrators' menu, not the members'", async () => {
    const api = new Api(demo.token, { apiRoot: demo.apiRoot })
    const menu = async (type: "all_group_chats" | "all_chat_administrators") =>
      (await api.getMyCommands({ scope: { type } })).map((command) => command.command)
    // The inbox's own commands and /workspace (which lists the topics) are for everyone in the group
    // (they check who may change what); token, webhook and cmd are the admins' only.
    expect(await menu("all_chat_administrators")).toEqual([
      "announcements",
      "settings",
      "new",
      "set",
      "token",
      "workspace",
      "webhook",
      "cmd",
      "plugins",
      "plugin"
    ])
    expect(await menu("all_group_chats")).toEqual(["settings", "new", "set", "workspace"])
  })
})
