// `bun serve-bun.ts web|hono`: the tracking handler (or Hono with the adapter) on Bun.serve,
// 127.0.0.1, a free port. Prints JSON lines.
import { getConnInfo } from 'hono/bun'
import { createApp, createHonoTrackingApp, type Message } from './tracking-app'

interface BunServer {
  requestIP(request: Request): { address: string } | null
}
declare const Bun: {
  argv: string[]
  serve(options: { hostname: string; port: number; fetch(request: Request, server: BunServer): Response | Promise<Response> }): { port: number }
}

const print = (message: Message): void => console.log(JSON.stringify(message))
const handler = createApp(print)
const hono = createHonoTrackingApp(print, (c) => getConnInfo(c).remote.address)
const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  fetch:
    Bun.argv[2] === 'hono'
      ? (request, server) => hono.fetch(request, server)
      : (request, server) => handler(request, { remoteAddress: server.requestIP(request)?.address }),
})
print({ listening: server.port })
