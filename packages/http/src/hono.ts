/**
 * The tracking handler as a Hono handler.
 *
 * @module @pytrack/http/hono
 */

import { Hono, type Context, type MiddlewareHandler } from 'hono'
import { InvalidArgumentError } from '@pytrack/core'
import { createTrackingHandler, type TrackingContext, type TrackingHandler, type TrackingHandlerOptions } from './tracking-handler'
import { coreOf } from './_internal/core'
import { toWebResponse, WebCoreRequest } from './_internal/web-bridge'

/**
 * Options of the Hono adapter.
 *
 * @example
 * ```ts
 * import { getConnInfo } from 'hono/bun'
 * app.use('/t/*', createHonoHandler(options, { remoteAddress: (c) => getConnInfo(c).remote.address }))
 * ```
 */
export interface HonoAdapterOptions {
  /**
   * The client's socket address for a request. Default: the socket of `@hono/node-server`
   * (`c.env.incoming.socket.remoteAddress`). On other runtimes pass your platform's, e.g.
   * `(c) => getConnInfo(c).remote.address`.
   */
  remoteAddress?: ((c: Context) => string | null | undefined) | undefined
}

function nodeServerAddress(c: Context): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined
  return env?.incoming?.socket?.remoteAddress
}

function contextFor(c: Context, remoteAddress: (c: Context) => string | null | undefined): TrackingContext {
  const context: TrackingContext = { remoteAddress: remoteAddress(c), c }
  let executionCtx: { waitUntil?: (promise: Promise<unknown>) => void } | undefined
  try {
    executionCtx = c.executionCtx
  } catch {
    // Not on a platform with an ExecutionContext (Node, Bun, Deno).
  }
  if (executionCtx && typeof executionCtx.waitUntil === 'function') {
    const ctx = executionCtx
    context.waitUntil = (promise) => ctx.waitUntil?.(promise)
  }
  return context
}

/**
 * Turns a Web-standard handler into Hono middleware. For a handler made by
 * `createTrackingHandler`, paths that are not tracking routes go on to `next()`. The method
 * is read from the raw request, so `HEAD` (which Hono routes as `GET`) is still labelled.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { createTrackingHandler } from '@pytrack/http'
 * import { toHonoHandler } from '@pytrack/http/hono'
 *
 * const app = new Hono()
 * app.use('/t/*', toHonoHandler(createTrackingHandler({ configuration })))
 * ```
 */
export function toHonoHandler(handler: TrackingHandler, options: HonoAdapterOptions = {}): MiddlewareHandler {
  if (typeof handler !== 'function') {
    throw new InvalidArgumentError('toHonoHandler takes a function (request, context) => Promise<Response>, such as createTrackingHandler(options)')
  }
  const remoteAddress = options.remoteAddress ?? nodeServerAddress
  const core = coreOf(handler)
  // Not a matter of speed (Hono already has the Request): only the core can say a path is not
  // a tracking route, so that it goes on to next(); any other handler answers every path.
  if (!core) return async (c) => handler(c.req.raw, contextFor(c, remoteAddress))
  return async (c, next) => {
    const raw = c.req.raw
    const context = contextFor(c, remoteAddress)
    const response = core.handle(new WebCoreRequest(raw, context.remoteAddress), context)
    if (response === null) {
      await next()
      return undefined
    }
    return toWebResponse(response instanceof Promise ? await response : response)
  }
}

/**
 * Hono middleware serving open pixels and click redirects:
 * `toHonoHandler(createTrackingHandler(options))`.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { createHonoHandler } from '@pytrack/http/hono'
 *
 * const app = new Hono()
 * app.use('/t/*', createHonoHandler({
 *   configuration: { baseClickTrackingUrl: 'https://example.com/t/click/' },
 *   allowedDestinations: ['www.example.com'],
 * }))
 * ```
 */
export function createHonoHandler(options?: TrackingHandlerOptions, adapterOptions?: HonoAdapterOptions): MiddlewareHandler {
  return toHonoHandler(createTrackingHandler(options), adapterOptions)
}

/**
 * A Hono app with the tracking routes, to mount with `app.route(prefix, ...)`; other paths
 * under it get Hono's 404.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { serve } from '@hono/node-server'
 * import { createHonoApp } from '@pytrack/http/hono'
 *
 * const app = new Hono()
 * app.route('/t', createHonoApp({ configuration, allowedDestinations: ['www.example.com'] }))
 * serve({ fetch: app.fetch, port: 8080 })
 * ```
 */
export function createHonoApp(options?: TrackingHandlerOptions, adapterOptions?: HonoAdapterOptions): Hono {
  const app = new Hono()
  app.use('*', createHonoHandler(options, adapterOptions))
  return app
}
