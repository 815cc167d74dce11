// Starting and stopping real servers on 127.0.0.1, port 0, for the behaviour suite.
import { serve, type Http2Bindings, type HttpBindings } from '@hono/node-server'
import type { AddressInfo } from 'node:net'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Mount, TestServer } from './behaviour-suite'

export function listen(server: Server): Promise<TestServer> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      resolve({
        origin: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            server.closeAllConnections()
          }),
      })
    })
  })
}

/** Serves a fetch function (a Web handler, or a Hono app's `fetch`) with @hono/node-server. */
export function serveFetch(
  fetch: (request: Request, env: HttpBindings | Http2Bindings) => Response | Promise<Response>,
): Promise<TestServer> {
  return new Promise((resolve) => {
    const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
      resolve({
        origin: `http://127.0.0.1:${info.port}`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      })
    })
  })
}

/** Picks the mount whose prefix starts the path, as a framework's router would. */
export function mountFor<T>(mounts: readonly Mount[], handlers: readonly T[], url: string): T | undefined {
  const index = mounts.findIndex((mount) => url.startsWith(`${mount.prefix}/`))
  return index === -1 ? undefined : handlers[index]
}

export function notFound(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain' }).end('no mount here\n')
}
