import type { WebhookInfo } from "grammy/types"
import { badRequest } from "../BotApiError.ts"
import { botId, type Method, type MethodContext } from "./Context.ts"

const inboxOf = (ctx: MethodContext) => ctx.world.inboxes.get(botId(ctx))!

const getUpdates: Method = (ctx) => {
  const inbox = inboxOf(ctx)
  const allowed = ctx.params.optJson<Array<string>>("allowed_updates")
  if (inbox.webhook === undefined) inbox.setAllowed(allowed)
  return inbox.getUpdates(
    ctx.params.optInt("offset") ?? 0,
    ctx.params.optInt("limit") ?? 100,
    ctx.params.optInt("timeout") ?? 0,
    () => ctx.signal
  )
}

// Telegram insists on HTTPS on ports 443, 80, 88 or 8443; the sandbox takes any http(s) URL so
// receivers on ephemeral local ports work.
const setWebhook: Method = (ctx) => {
  const inbox = inboxOf(ctx)
  const url = ctx.params.optString("url") ?? ""
  if (ctx.params.bool("drop_pending_updates")) inbox.drop()
  if (url === "") {
    inbox.webhook = undefined
    return true
  }
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw badRequest("bad webhook: Failed to resolve host: Name or service not known")
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:")
    throw badRequest("bad webhook: An HTTPS URL must be provided for webhook")
  const secretToken = ctx.params.optString("secret_token")
  if (secretToken !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secretToken)) {
    throw badRequest("secret token contains unallowed characters")
  }
  inbox.setAllowed(ctx.params.optJson<Array<string>>("allowed_updates"))
  inbox.webhook = {
    url,
    maxConnections: ctx.params.optInt("max_connections") ?? 40,
    ...(secretToken !== undefined ? { secretToken } : {})
  }
  inbox.onQueued = () => ctx.startWebhook(botId(ctx))
  ctx.startWebhook(botId(ctx))
  return true
}

const deleteWebhook: Method = (ctx) => {
  const inbox = inboxOf(ctx)
  inbox.webhook = undefined
  if (ctx.params.bool("drop_pending_updates")) inbox.drop()
  return true
}

const getWebhookInfo: Method = (ctx): WebhookInfo => {
  const inbox = inboxOf(ctx)
  const hook = inbox.webhook
  const allowed = inbox.allowedUpdates()
  return {
    url: hook?.url ?? "",
    has_custom_certificate: false,
    pending_update_count: inbox.size,
    ...(hook !== undefined ? { ip_address: "127.0.0.1", max_connections: hook.maxConnections } : {}),
    ...(hook?.lastErrorDate !== undefined ? { last_error_date: hook.lastErrorDate } : {}),
    ...(hook?.lastErrorMessage !== undefined ? { last_error_message: hook.lastErrorMessage } : {}),
    ...(hook !== undefined && allowed !== undefined ? { allowed_updates: allowed } : {})
  }
}

export const updateMethods: Record<string, Method> = { getUpdates, setWebhook, deleteWebhook, getWebhookInfo }
