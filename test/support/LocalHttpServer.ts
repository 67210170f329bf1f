import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo, Socket } from "node:net"

/** The whole body of a request. */
export const readBody = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => resolve(Buffer.concat(chunks)))
    req.on("error", reject)
  })

/**
 * An HTTP server of a test on a free local port: `handle` answers each request, `onError` whatever
 * it threw before answering; `close` drops open connections too, so a test never waits on them.
 */
export const startLocalServer = async (
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<unknown>,
  onError: (res: ServerResponse, error: unknown) => void
): Promise<{ readonly url: string; readonly close: () => Promise<void> }> => {
  const sockets = new Set<Socket>()
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) onError(res, error)
    })
  })
  server.on("connection", (socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      })
  }
}
