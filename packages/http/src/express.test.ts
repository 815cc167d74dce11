import { createServer } from 'node:http'
import express from 'express'
import { describe, expect, it } from 'vitest'
import { createTrackingHandler } from './index'
import { createExpressHandler, toExpressHandler } from './express'
import { describeTrackingBehaviour } from '../test/behaviour-suite'
import { listen } from '../test/servers'

describeTrackingBehaviour('Express', async (mounts) => {
  const app = express()
  for (const mount of mounts) app.use(mount.prefix, createExpressHandler(mount.options))
  return listen(createServer(app))
})

describe('toExpressHandler', () => {
  it('exports exactly these names', async () => {
    expect(Object.keys(await import('./express')).sort()).toEqual(['createExpressHandler', 'toExpressHandler'])
  })

  it('passes requests that are not tracking routes to the next middleware', async () => {
    const app = express()
    app.use('/t', toExpressHandler(createTrackingHandler()))
    app.get('/t/health', (_req, res) => {
      res.send('ok')
    })
    const server = await listen(createServer(app))
    try {
      const response = await fetch(`${server.origin}/t/health`)
      expect(await response.text()).toBe('ok')
    } finally {
      await server.close()
    }
  })

  it('serves a foreign Web handler and hands its rejection to Express', async () => {
    const app = express()
    app.use('/ok', toExpressHandler(async (request) => new Response(new URL(request.url).pathname)))
    app.use('/boom', toExpressHandler(() => Promise.reject(new Error('boom'))))
    app.use((_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(503).send('handled')
    })
    const server = await listen(createServer(app))
    try {
      expect(await (await fetch(`${server.origin}/ok/a`)).text()).toBe('/ok/a')
      const failed = await fetch(`${server.origin}/boom`)
      expect(failed.status).toBe(503)
    } finally {
      await server.close()
    }
  })

  it('refuses what is not a handler with a pytrack error', () => {
    expect(() => toExpressHandler(42 as never)).toThrow(expect.objectContaining({ code: 'ERR_PYTRACK_INVALID_ARGUMENT' }))
  })
})
