// The tracking handler (or Hono with the adapter) as a Cloudflare Worker, bundled and run in
// workerd by runtimes.test.ts: `export default createWorker('web' | 'hono')`. Hooks run through
// ctx.waitUntil; GET /messages?count=N answers once N hook messages are in.
import type { ExecutionContext } from 'hono'
import { getConnInfo } from 'hono/cloudflare-workers'
import { createApp, createHonoTrackingApp, type Flavour, type Message } from './tracking-app'

interface Worker {
  fetch(request: Request, env: unknown, ctx: ExecutionContext): Response | Promise<Response>
}

export function createWorker(flavour: Flavour): Worker {
  const messages: Message[] = []
  let arrived: () => void = () => undefined
  const emit = (message: Message): void => {
    messages.push(message)
    arrived()
  }
  const handler = createApp(emit)
  const hono = createHonoTrackingApp(emit, (c) => getConnInfo(c).remote.address)
  async function messagesOnce(count: number): Promise<Response> {
    while (messages.length < count) await new Promise<void>((resolve) => (arrived = resolve))
    return Response.json(messages)
  }
  return {
    fetch(request, env, ctx) {
      const url = new URL(request.url)
      if (url.pathname === '/messages') return messagesOnce(Number(url.searchParams.get('count')))
      if (flavour === 'hono') return hono.fetch(request, env, ctx)
      return handler(request, { remoteAddress: request.headers.get('cf-connecting-ip'), waitUntil: (promise) => ctx.waitUntil(promise) })
    },
  }
}
