import { readBody, startLocalServer } from "../../support/LocalHttpServer.ts"
import { harnessToken } from "../../support/PluginHarness.ts"

/**
 * The two Bot API routes `ctx.downloadFile` uses, for the harness's bot: `getFile` and
 * `/file/bot<token>/<file_path>`. Files are added with `add`; an unknown id gets Telegram's 400.
 */
export const startBotFiles = async () => {
  const files = new Map<string, { path: string; bytes: Buffer; uniqueId: string }>()
  let downloads = 0
  const server = await startLocalServer(
    (req, res) =>
      readBody(req).then((body) => {
        const url = req.url ?? "/"
        const json = (status: number, body: unknown) => {
          res.writeHead(status, { "content-type": "application/json" })
          res.end(JSON.stringify(body))
        }
        if (url === `/bot${harnessToken}/getFile`) {
          const { file_id } = JSON.parse(body.toString("utf8") || "{}") as { file_id?: string }
          const file = file_id === undefined ? undefined : files.get(file_id)
          if (file === undefined)
            return json(400, {
              ok: false,
              error_code: 400,
              description: "Bad Request: wrong file identifier/HTTP URL specified"
            })
          return json(200, {
            ok: true,
            result: {
              file_id,
              file_unique_id: file.uniqueId,
              file_size: file.bytes.length,
              file_path: file.path
            }
          })
        }
        const found = [...files.values()].find((file) => url === `/file/bot${harnessToken}/${file.path}`)
        if (found === undefined) return json(404, { ok: false, error_code: 404, description: "Not Found" })
        downloads += 1
        res.writeHead(200, { "content-type": "application/octet-stream" })
        res.end(found.bytes)
      }),
    (res, error) => {
      res.writeHead(500, { "content-type": "application/json" })
      res.end(JSON.stringify({ ok: false, error_code: 500, description: String(error) }))
    }
  )
  return {
    apiRoot: server.url,
    add: (fileId: string, uniqueId: string, path: string, bytes: Buffer) =>
      void files.set(fileId, { path, bytes, uniqueId }),
    downloads: () => downloads,
    close: server.close
  }
}
