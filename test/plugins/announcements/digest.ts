import { definePlugin } from "../../../src/plugins/definePlugin.ts"

/** Tells General of each announcement: what another plugin does with `announcements.posted`. */
export default definePlugin({
  id: "digest",
  description: "Tells General of each announcement",
  on: {
    "announcements.posted": (event, ctx) =>
      ctx.post(
        { chatId: event.chatId },
        `New announcement from ${event.from?.first_name ?? "the team"}: ${event.text ?? ""}`
      )
  }
})
