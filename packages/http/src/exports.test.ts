import { describe, expect, it } from 'vitest'

describe('public API', () => {
  it('@pytrack/http exports exactly these names', async () => {
    expect(Object.keys(await import('./index')).sort()).toEqual(['RedirectRefusedError', 'classifyClient', 'createTrackingHandler'])
  })
  it('@pytrack/http/node exports exactly these names', async () => {
    expect(Object.keys(await import('./node')).sort()).toEqual(['createNodeHandler', 'toNodeHandler'])
  })
  it('@pytrack/http/express exports exactly these names', async () => {
    expect(Object.keys(await import('./express')).sort()).toEqual(['createExpressHandler', 'toExpressHandler'])
  })
  it('@pytrack/http/fastify exports exactly these names', async () => {
    expect(Object.keys(await import('./fastify')).sort()).toEqual(['createFastifyPlugin', 'toFastifyPlugin'])
  })
  it('@pytrack/http/hono exports exactly these names', async () => {
    expect(Object.keys(await import('./hono')).sort()).toEqual(['createHonoApp', 'createHonoHandler', 'toHonoHandler'])
  })
})
