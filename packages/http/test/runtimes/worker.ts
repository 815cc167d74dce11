// The tracking handler as a Cloudflare Worker (bundled and run in workerd by runtimes.test.ts).
// Hooks run through ctx.waitUntil; GET /messages?count=N answers once N hook messages are in.
import { createApp, type Message } from './tracking-app'

interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void
}

const messages: Message[] = []
let arrived: () => void = () => undefined
const handler = createApp((message) => {
  messages.push(message)
  arrived()
})

async function messagesOnce(count: number): Promise<Response> {
  while (messages.length < count) await new Promise<void>((resolve) => (arrived = resolve))
  return Response.json(messages)
}

export default {
  fetch(request: Request, _env: unknown, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url)
    if (url.pathname === '/messages') return messagesOnce(Number(url.searchParams.get('count')))
    return handler(request, { remoteAddress: request.headers.get('cf-connecting-ip'), waitUntil: (promise) => ctx.waitUntil(promise) })
  },
}
