// `bun serve-bun.ts`: the tracking handler on Bun.serve, 127.0.0.1, a free port. Prints JSON lines.
import { createApp, type Message } from './tracking-app'

declare const Bun: {
  serve(options: {
    hostname: string
    port: number
    fetch(request: Request, server: { requestIP(request: Request): { address: string } | null }): Promise<Response>
  }): { port: number }
}

const print = (message: Message): void => console.log(JSON.stringify(message))
const handler = createApp(print)
const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  fetch: (request, server) => handler(request, { remoteAddress: server.requestIP(request)?.address }),
})
print({ listening: server.port })
