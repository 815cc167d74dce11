/**
 * The tracking handler as Koa middleware.
 *
 * @module @pytrack/http/koa
 */

import type { IncomingMessage, ServerResponse } from 'node:http'
import { InvalidArgumentError } from '@pytrack/core'
import { createTrackingHandler, type TrackingContext, type TrackingHandler, type TrackingHandlerOptions } from './tracking-handler'
import { coreOf } from './_internal/core'
import { NodeCoreRequest, toWebRequest, writeCoreResponse, writeWebResponse } from './_internal/node-bridge'

/**
 * What the middleware uses of Koa's context. Declared structurally so this package's types do
 * not need `@types/koa`; `app.use()` accepts the middleware as is.
 *
 * @example
 * ```ts
 * const seen = (ctx: KoaContext): string => ctx.originalUrl
 * ```
 */
export interface KoaContext {
  /** Node's request. */
  req: IncomingMessage
  /** Node's response: the middleware writes the pixel or the redirect to it. */
  res: ServerResponse
  /** The request target as it arrived, before any mounting rewrote `ctx.url`. */
  originalUrl: string
  /** Set to false once the middleware has answered, so Koa leaves the response alone. */
  respond?: boolean | undefined
}

/**
 * A Koa middleware (Koa 2 and 3).
 *
 * @example
 * ```ts
 * const middleware: KoaMiddleware = createKoaMiddleware(options)
 * app.use(middleware)
 * ```
 */
export type KoaMiddleware = (ctx: KoaContext, next: () => Promise<unknown>) => Promise<void>

/**
 * Turns a Web-standard handler into Koa middleware. For a handler made by
 * `createTrackingHandler`, requests that are not tracking routes go on to `next()`; routes and
 * `prefix` see the full path (`ctx.originalUrl`), so give the handler its `prefix` rather than
 * mounting it. Koa's `proxy` setting is not used: pass `trustedProxies`. An error of a foreign
 * handler goes to Koa's error handling, as any middleware's.
 *
 * @example
 * ```ts
 * import Koa from 'koa'
 * import { createTrackingHandler } from '@pytrack/http'
 * import { toKoaMiddleware } from '@pytrack/http/koa'
 *
 * const app = new Koa()
 * app.use(toKoaMiddleware(createTrackingHandler({ configuration, prefix: '/t', allowedDestinations: ['www.example.com'] })))
 * ```
 */
export function toKoaMiddleware(handler: TrackingHandler): KoaMiddleware {
  if (typeof handler !== 'function') {
    throw new InvalidArgumentError('toKoaMiddleware takes a function (request, context) => Promise<Response>, such as createTrackingHandler(options)')
  }
  const core = coreOf(handler)
  // Only the core can say a path is not a tracking route, so that it goes on to next(); it is
  // also the path the node and Express adapters measured as the fast one.
  if (core) {
    return async (ctx, next) => {
      const { req, res } = ctx
      const remoteAddress = req.socket?.remoteAddress
      const context: TrackingContext = { remoteAddress, req, res, ctx }
      const response = core.handle(new NodeCoreRequest(req, ctx.originalUrl, remoteAddress), context)
      if (response === null) {
        await next()
        return
      }
      ctx.respond = false
      writeCoreResponse(res, await response)
    }
  }
  return async (ctx) => {
    const { req, res } = ctx
    const response = await handler(toWebRequest(req, ctx.originalUrl, true), { remoteAddress: req.socket?.remoteAddress, req, res, ctx })
    ctx.respond = false
    await writeWebResponse(res, response, req.method === 'HEAD')
  }
}

/**
 * Koa middleware serving open pixels and click redirects:
 * `toKoaMiddleware(createTrackingHandler(options))`.
 *
 * @example
 * ```ts
 * import Koa from 'koa'
 * import { createKoaMiddleware } from '@pytrack/http/koa'
 *
 * const app = new Koa()
 * app.use(createKoaMiddleware({
 *   configuration: { baseClickTrackingUrl: 'https://example.com/t/click/' },
 *   prefix: '/t',
 *   allowedDestinations: ['www.example.com'],
 *   onTrackingEvent: (result) => console.log(result.toJSON()),
 * }))
 * app.listen(8080)
 * ```
 */
export function createKoaMiddleware(options?: TrackingHandlerOptions): KoaMiddleware {
  return toKoaMiddleware(createTrackingHandler(options))
}
