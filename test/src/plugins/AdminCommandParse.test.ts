import { describe, expect, it } from "vitest"
import {
  parsePluginCommand,
  retryButtonData,
  retryButtonPlugin
} from "../../../src/plugins/AdminCommandParse.ts"

describe("parsePluginCommand", () => {
  it("reads enable and disable, in the group or with here in this topic", () => {
    expect(parsePluginCommand("enable announcements")).toEqual({
      _tag: "Switch",
      plugin: "announcements",
      enabled: true,
      here: false
    })
    expect(parsePluginCommand("  Disable  Announcements   HERE ")).toEqual({
      _tag: "Switch",
      plugin: "announcements",
      enabled: false,
      here: true
    })
  })

  it("reads config with and without a value; the value keeps its spacing and quotes", () => {
    expect(parsePluginCommand("config tally")).toEqual({ _tag: "ShowConfig", plugin: "tally" })
    expect(parsePluginCommand('config announcements notice "Only  admins, please"')).toEqual({
      _tag: "SetConfig",
      plugin: "announcements",
      key: "notice",
      value: '"Only  admins, please"'
    })
    expect(parsePluginCommand("config announcements pin true")).toMatchObject({ key: "pin", value: "true" })
    // The key is a word of its own even where the plugin id holds it.
    expect(parsePluginCommand("config pin-board pin  on the wall ")).toEqual({
      _tag: "SetConfig",
      plugin: "pin-board",
      key: "pin",
      value: "on the wall"
    })
  })

  it("reads help and errors", () => {
    expect(parsePluginCommand("help tally")).toEqual({ _tag: "Help", plugin: "tally" })
    expect(parsePluginCommand("errors tally")).toEqual({ _tag: "Errors", plugin: "tally" })
  })

  it("names what is wrong with a command it cannot read", () => {
    const problem = (args: string) => {
      const request = parsePluginCommand(args)
      return request._tag === "Usage" ? request.problem : `read as ${request._tag}`
    }
    expect(problem("")).toBe("/plugin needs an action.")
    expect(problem("frobnicate tally")).toBe('"frobnicate" is not a /plugin action.')
    expect(problem("enable")).toBe("/plugin enable needs a plugin id.")
    expect(problem("enable Tally!")).toBe('"Tally!" is not a plugin id.')
    expect(problem("enable tally there")).toBe(
      '/plugin enable takes a plugin id and, for this topic only, "here".'
    )
    expect(problem("disable tally here now")).toBe(
      '/plugin disable takes a plugin id and, for this topic only, "here".'
    )
    expect(problem("config tally label")).toBe("/plugin config tally label needs a value.")
    expect(problem("config tally no-dashes 5")).toBe('"no-dashes" is not a configuration key.')
    expect(problem("help tally more")).toBe("/plugin help takes only a plugin id.")
    expect(problem("errors")).toBe("/plugin errors needs a plugin id.")
  })
})

describe("the Retry button", () => {
  it("carries the plugin id in its callback data, within Telegram's 64 bytes", () => {
    const data = retryButtonData("announcements")
    expect(data).toBe("plugin-admin:retry:announcements")
    expect(retryButtonPlugin(data!)).toBe("announcements")
    expect(retryButtonPlugin("polls:vote:3")).toBeUndefined()
    expect(retryButtonPlugin(null)).toBeUndefined()
    expect(retryButtonData("a".repeat(46))).toBeUndefined()
  })
})
