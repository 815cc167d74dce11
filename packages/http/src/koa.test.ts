import { createServer } from 'node:http'
import Koa from 'koa'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { createTrackingHandler } from './index'
import { createKoaMiddleware, toKoaMiddleware, type KoaContext, type KoaMiddleware } from './koa'
import { describeTrackingBehaviour } from '../test/behaviour-suite'
import { listen } from '../test/servers'

describeTrackingBehaviour('Koa', async (mounts) => {
  const app = new Koa()
  // Koa mounts nothing by itself: each middleware sees only its mount's paths, as koa-mount does
  // (the handler reads ctx.originalUrl, which mounting leaves alone).
  for (const mount of mounts) {
    const middleware = createKoaMiddleware(mount.options)
    app.use((ctx, next) => (ctx.path === mount.prefix || ctx.path.startsWith(`${mount.prefix}/`) ? middleware(ctx, next) : next()))
  }
  return listen(createServer(app.callback()))
})

describe('toKoaMiddleware', () => {
  it('exports exactly these names', async () => {
    expect(Object.keys(await import('./koa')).sort()).toEqual(['createKoaMiddleware', 'toKoaMiddleware'])
  })

  it("has types Koa's own accept (checked by pnpm typecheck)", () => {
    expectTypeOf(toKoaMiddleware(createTrackingHandler())).toEqualTypeOf<KoaMiddleware>()
    expectTypeOf(createKoaMiddleware()).toEqualTypeOf<KoaMiddleware>()
    expectTypeOf<KoaMiddleware>().parameter(0).toEqualTypeOf<KoaContext>()
    // Koa's types (@types/koa) take it as middleware, with no cast.
    const app = new Koa()
    expect(app.use(createKoaMiddleware())).toBe(app)
  })

  it('passes requests that are not tracking routes to the next middleware', async () => {
    const app = new Koa()
    app.use(toKoaMiddleware(createTrackingHandler({ prefix: '/t' })))
    app.use((ctx) => {
      ctx.body = `next saw ${ctx.path}`
    })
    const server = await listen(createServer(app.callback()))
    try {
      expect(await (await fetch(`${server.origin}/t/health`)).text()).toBe('next saw /t/health')
      expect((await fetch(`${server.origin}/t/open/e30=`)).headers.get('content-type')).toBe('image/png')
    } finally {
      await server.close()
    }
  })

  it("serves a foreign Web handler and hands its rejection to Koa's error handling", async () => {
    const app = new Koa()
    app.use(async (ctx, next) => {
      try {
        await next()
      } catch {
        ctx.status = 503
        ctx.body = 'handled'
      }
    })
    app.use(async (ctx, next) => {
      if (ctx.path.startsWith('/ok')) await toKoaMiddleware(async (request) => new Response(new URL(request.url).pathname))(ctx, next)
      else await toKoaMiddleware(() => Promise.reject(new Error('boom')))(ctx, next)
    })
    const server = await listen(createServer(app.callback()))
    try {
      expect(await (await fetch(`${server.origin}/ok/a`)).text()).toBe('/ok/a')
      const failed = await fetch(`${server.origin}/boom`)
      expect([failed.status, await failed.text()]).toEqual([503, 'handled'])
    } finally {
      await server.close()
    }
  })

  it('refuses what is not a handler with a pytrack error', () => {
    expect(() => toKoaMiddleware(42 as never)).toThrow(expect.objectContaining({ code: 'ERR_PYTRACK_INVALID_ARGUMENT' }))
  })
})
