// `deno run serve-deno.ts`: the tracking handler on Deno.serve, 127.0.0.1, a free port. Prints JSON lines.
import { createApp, type Message } from './tracking-app'

declare const Deno: {
  serve(
    options: { hostname: string; port: number; onListen(address: { port: number }): void },
    handler: (request: Request, info: { remoteAddr: { hostname: string } }) => Promise<Response>,
  ): unknown
}

const print = (message: Message): void => console.log(JSON.stringify(message))
const handler = createApp(print)
Deno.serve({ hostname: '127.0.0.1', port: 0, onListen: ({ port }) => print({ listening: port }) }, (request, info) =>
  handler(request, { remoteAddress: info.remoteAddr.hostname }),
)
