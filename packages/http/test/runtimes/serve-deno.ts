// `deno run serve-deno.ts web|hono`: the tracking handler (or Hono with the adapter) on
// Deno.serve, 127.0.0.1, a free port. Prints JSON lines.
import { getConnInfo } from 'hono/deno'
import { createApp, createHonoTrackingApp, type Message } from './tracking-app'

interface ServeInfo {
  remoteAddr: { hostname: string }
}
declare const Deno: {
  args: string[]
  serve(
    options: { hostname: string; port: number; onListen(address: { port: number }): void },
    handler: (request: Request, info: ServeInfo) => Response | Promise<Response>,
  ): unknown
}

const print = (message: Message): void => console.log(JSON.stringify(message))
const handler = createApp(print)
const hono = createHonoTrackingApp(print, (c) => getConnInfo(c).remote.address)
Deno.serve(
  { hostname: '127.0.0.1', port: 0, onListen: ({ port }) => print({ listening: port }) },
  Deno.args[0] === 'hono'
    ? (request, info) => hono.fetch(request, info)
    : (request, info) => handler(request, { remoteAddress: info.remoteAddr.hostname }),
)
