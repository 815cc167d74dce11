import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { createTrackingHandler } from './index'
import { createHonoApp, toHonoHandler } from './hono'
import { describeTrackingBehaviour } from '../test/behaviour-suite'
import { serveFetch } from '../test/servers'
import { deferred } from '../../../test-utils/wait'

describeTrackingBehaviour('Hono', async (mounts) => {
  const app = new Hono()
  for (const mount of mounts) app.route(mount.prefix, createHonoApp(mount.options))
  return serveFetch(app.fetch)
})

describe('toHonoHandler', () => {
  it('exports exactly these names', async () => {
    expect(Object.keys(await import('./hono')).sort()).toEqual(['createHonoApp', 'createHonoHandler', 'toHonoHandler'])
  })

  it('calls next() for paths that are not tracking routes', async () => {
    const app = new Hono()
    app.use('/t/*', toHonoHandler(createTrackingHandler()))
    app.get('/t/health', (c) => c.text('ok'))
    const server = await serveFetch(app.fetch)
    try {
      expect(await (await fetch(`${server.origin}/t/health`)).text()).toBe('ok')
    } finally {
      await server.close()
    }
  })

  it('takes the client address from the option on runtimes other than Node', async () => {
    const seen = deferred<unknown>()
    const app = new Hono()
    app.use(
      '/t/*',
      toHonoHandler(createTrackingHandler({ onTrackingEvent: (result) => seen.resolve(result.requestData?.user_ip) }), {
        remoteAddress: () => '192.0.2.44',
      }),
    )
    const response = await app.request('/t/open/e30=')
    expect(response.status).toBe(200)
    expect(await seen.promise).toBe('192.0.2.44')
  })

  it('refuses what is not a handler with a pytrack error', () => {
    expect(() => toHonoHandler(null as never)).toThrow(expect.objectContaining({ code: 'ERR_PYTRACK_INVALID_ARGUMENT' }))
  })
})
