import { createServer } from 'node:http'
import { describe, expect, it } from 'vitest'
import { createTrackingHandler, type TrackingHandler } from './index'
import { createNodeHandler, toNodeHandler } from './node'
import { describeTrackingBehaviour } from '../test/behaviour-suite'
import { listen, mountFor, notFound } from '../test/servers'
import { deferred } from '../../../test-utils/wait'

// The fast path: a handler made by createTrackingHandler, served without building a Request.
describeTrackingBehaviour('node:http', async (mounts) => {
  const handlers = mounts.map((mount) => createNodeHandler(mount.options))
  return listen(createServer((req, res) => (mountFor(mounts, handlers, req.url ?? '/') ?? notFound)(req, res)))
})

// The generic path: any Web handler (here a wrapper that hides the core) through Request/Response.
describeTrackingBehaviour('node:http (generic Web handler path)', async (mounts) => {
  const handlers = mounts.map((mount) => {
    const web = createTrackingHandler(mount.options)
    const opaque: TrackingHandler = (request, context) => web(request, context)
    return toNodeHandler(opaque)
  })
  return listen(createServer((req, res) => (mountFor(mounts, handlers, req.url ?? '/') ?? notFound)(req, res)))
})

describe('toNodeHandler', () => {
  it('exports exactly these names', async () => {
    expect(Object.keys(await import('./node')).sort()).toEqual(['createNodeHandler', 'toNodeHandler'])
  })

  it('refuses what is not a handler with a pytrack error', () => {
    expect(() => toNodeHandler({} as never)).toThrow(expect.objectContaining({ code: 'ERR_PYTRACK_INVALID_ARGUMENT' }))
  })

  it('serves any Web handler, streaming its body and keeping every Set-Cookie', async () => {
    const server = await listen(
      createServer(
        toNodeHandler(async (request) => {
          const headers = new Headers({ 'content-type': 'text/plain' })
          headers.append('set-cookie', 'a=1')
          headers.append('set-cookie', 'b=2')
          return new Response(`${request.method} ${await request.text()}`, { status: 201, headers })
        }),
      ),
    )
    try {
      const response = await fetch(`${server.origin}/x`, { method: 'POST', body: 'hello' })
      expect(response.status).toBe(201)
      expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2'])
      expect(await response.text()).toBe('POST hello')
    } finally {
      await server.close()
    }
  })

  it('gives hooks a Request built on first use, whose clone() is a genuine Request', async () => {
    const hooked = deferred<Request>()
    const server = await listen(createServer(createNodeHandler({ onTrackingEvent: (_result, request) => hooked.resolve(request) })))
    try {
      expect((await fetch(`${server.origin}/open/e30=?x=1`, { headers: { 'x-a': 'b' } })).status).toBe(200)
      const seen: Request = await hooked.promise
      expect(seen).toBeInstanceOf(Request)
      expect(seen?.method).toBe('GET')
      expect(seen?.url).toBe(`${server.origin}/open/e30=?x=1`)
      expect(seen?.headers.get('x-a')).toBe('b')
      const copy = new Request(seen.clone())
      expect(copy.headers.get('x-a')).toBe('b')
    } finally {
      await server.close()
    }
  })

  it('answers 500 when a foreign Web handler rejects, and keeps serving', async () => {
    const server = await listen(createServer(toNodeHandler(() => Promise.reject(new Error('boom')))))
    try {
      expect((await fetch(`${server.origin}/x`)).status).toBe(500)
      expect((await fetch(`${server.origin}/y`)).status).toBe(500)
    } finally {
      await server.close()
    }
  })
})
