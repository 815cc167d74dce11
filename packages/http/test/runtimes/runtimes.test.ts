// The built Web-standard handler (@pytrack/http, dist) and the Hono adapter answering real HTTP
// on Bun.serve, Deno.serve and a Worker in workerd: the pixel, the 302, a refused redirect, a
// wrong method, and the hooks called after each answer.
import { fileURLToPath } from 'node:url'
import { getClickTrackingUrl, getOpenTrackingPixel, getOpenTrackingUrl, type TrackingResultJson } from '@pytrack/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleWorker, RUNTIMES, startOnRuntime, startWorker, type Runtime } from '../../../../test-utils/runtimes'
import { HONO_PREFIX, type Flavour } from './tracking-app'

interface Served {
  origin: string
  /** The first `count` hook messages, once there are that many. */
  hookMessages(count: number): Promise<Record<string, unknown>[]>
  /** Sends a request to the Worker through miniflare's dispatchFetch (workerd only). */
  dispatch?: (url: string, init?: RequestInit) => Promise<Response>
  stop(): Promise<void>
}

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url))
const isHook = (message: Record<string, unknown>): boolean => !('listening' in message)

async function serve(runtime: Runtime, flavour: Flavour): Promise<Served> {
  if (runtime === 'workerd') {
    const script = await bundleWorker(
      `import { createWorker } from ${JSON.stringify(here('./worker.ts'))}\nexport default createWorker(${JSON.stringify(flavour)})`,
      here('.'),
    )
    const { mf, url } = await startWorker(script, { nodejsCompat: false })
    return {
      origin: url.origin,
      hookMessages: async (count) => (await (await fetch(`${url.origin}/messages?count=${count}`)).json()) as Record<string, unknown>[],
      dispatch: async (target, init) => (await mf.dispatchFetch(target, init as never)) as unknown as Response,
      stop: () => mf.dispose(),
    }
  }
  const child = startOnRuntime(runtime, here(`./serve-${runtime}.ts`), { args: [flavour] })
  const { listening } = await child.output.message<{ listening: number }>((message) => 'listening' in message)
  return { origin: `http://127.0.0.1:${listening}`, hookMessages: (count) => child.output.messages(count, isHook), stop: () => child.stop() }
}

const BROWSER = { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36' }
const PIXEL = Buffer.from(getOpenTrackingPixel()[0])

const FLAVOURS: readonly Flavour[] = ['web', 'hono']

describe.each(RUNTIMES.flatMap((runtime) => FLAVOURS.map((flavour) => [runtime, flavour] as const)))('on %s, the %s handler', (runtime, flavour) => {
  let served: Served
  beforeAll(async () => {
    served = await serve(runtime, flavour)
  })
  afterAll(() => served?.stop())

  it('answers a pixel and a 302 over HTTP, refuses what it must, and calls the hooks after', async () => {
    const mount = served.origin + (flavour === 'hono' ? HONO_PREFIX : '')
    const base = { baseOpenTrackingUrl: `${mount}/open/`, baseClickTrackingUrl: `${mount}/click/` }
    const destination = 'https://www.example.com/sale?utm_source=mail&q=%C3%BC'
    const open = getOpenTrackingUrl({ customer_id: 1, runtime }, base)
    const click = getClickTrackingUrl(destination, { customer_id: 1 }, base)

    const pixel = await fetch(open, { headers: BROWSER })
    expect(pixel.status).toBe(200)
    expect(pixel.headers.get('content-type')).toBe('image/png')
    expect(pixel.headers.get('cache-control')).toBe('no-store, no-cache, must-revalidate, private')
    expect(Buffer.from(await pixel.arrayBuffer()).equals(PIXEL)).toBe(true)

    const redirect = await fetch(click, { headers: BROWSER, redirect: 'manual' })
    expect(redirect.status).toBe(302)
    expect(redirect.headers.get('location')).toBe(destination)
    await redirect.body?.cancel()

    // A plain base64 link to a host that is not allowed: no open redirect.
    const refused = await fetch(getClickTrackingUrl('https://evil.example.net/', null, base), { redirect: 'manual' })
    expect(refused.status).toBe(404)
    await refused.body?.cancel()

    const post = await fetch(open, { method: 'POST' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')
    await post.body?.cancel()

    const elsewhere = await fetch(`${mount}/unsubscribe`)
    expect(elsewhere.status).toBe(404)
    await elsewhere.body?.cancel()

    const messages = await served.hookMessages(3)
    const events = messages.flatMap((m) => ('event' in m ? [m.event as TrackingResultJson] : []))
    expect(events.map((e) => [e.is_open_tracking, e.metadata, e.tracked_url])).toEqual(
      expect.arrayContaining([
        [true, { customer_id: 1, runtime }, undefined],
        [false, { customer_id: 1 }, destination],
      ]),
    )
    for (const event of events) {
      expect(event.request_data).toMatchObject({ user_agent: BROWSER['user-agent'], client_kind: 'human' })
      expect(event.request_data?.user_ip).toBe('127.0.0.1')
    }
    expect(messages).toContainEqual({ decodingError: 'ERR_PYTRACK_REDIRECT_REFUSED', name: 'RedirectRefusedError' })

    if (served.dispatch) {
      // The same Worker through miniflare's dispatchFetch, as Workers' own tests call it.
      const response = await served.dispatch(getOpenTrackingUrl({ customer_id: 2 }, base), { headers: BROWSER })
      expect(response.status).toBe(200)
      expect(Buffer.from(await response.arrayBuffer()).equals(PIXEL)).toBe(true)
    }
  })
})

describe('the node:http, Express and Fastify adapters in workerd', () => {
  it('do not start without nodejs_compat, and the error names node:stream', async () => {
    const script = await bundleWorker(
      `import { createNodeHandler } from '@pytrack/http/node'
       import { createExpressHandler } from '@pytrack/http/express'
       import { createFastifyPlugin } from '@pytrack/http/fastify'
       const adapters = [createNodeHandler(), createExpressHandler(), createFastifyPlugin()]
       export default { fetch: () => new Response(String(adapters.length)) }`,
      here('.'),
    )
    await expect(startWorker(script, { nodejsCompat: false })).rejects.toThrow(/No such module "node:stream"/)
  })
})
