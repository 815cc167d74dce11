import Fastify, { type FastifyInstance } from 'fastify'
import { describe, expect, it } from 'vitest'
import { createTrackingHandler } from './index'
import { createFastifyPlugin, toFastifyPlugin } from './fastify'
import { describeTrackingBehaviour, type TestServer } from '../test/behaviour-suite'

async function start(app: FastifyInstance): Promise<TestServer> {
  const origin = await app.listen({ port: 0, host: '127.0.0.1' })
  return { origin, close: () => app.close() }
}

describeTrackingBehaviour('Fastify', async (mounts) => {
  const app = Fastify()
  for (const mount of mounts) await app.register(createFastifyPlugin(mount.options), { prefix: mount.prefix })
  return start(app)
})

describe('toFastifyPlugin', () => {
  it('exports exactly these names', async () => {
    expect(Object.keys(await import('./fastify')).sort()).toEqual(['createFastifyPlugin', 'toFastifyPlugin'])
  })

  it('leaves other routes and body parsing of the app untouched', async () => {
    const app = Fastify()
    await app.register(toFastifyPlugin(createTrackingHandler()), { prefix: '/t' })
    app.post('/api', async (request) => ({ got: request.body }))
    const server = await start(app)
    try {
      const response = await fetch(`${server.origin}/api`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"a":1}',
      })
      expect(await response.json()).toEqual({ got: { a: 1 } })
      expect((await fetch(`${server.origin}/t/nothing`)).status).toBe(404)
    } finally {
      await server.close()
    }
  })

  it('serves a foreign Web handler with the request body', async () => {
    const app = Fastify()
    await app.register(
      toFastifyPlugin(async (request) => new Response(`${request.method} ${await request.text()}`, { status: 201 })),
      { prefix: '/w' },
    )
    const server = await start(app)
    try {
      const response = await fetch(`${server.origin}/w/x`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hi' })
      expect(response.status).toBe(201)
      expect(await response.text()).toBe('POST hi')
    } finally {
      await server.close()
    }
  })

  it('refuses what is not a handler with a pytrack error', () => {
    expect(() => toFastifyPlugin('x' as never)).toThrow(expect.objectContaining({ code: 'ERR_PYTRACK_INVALID_ARGUMENT' }))
  })
})
