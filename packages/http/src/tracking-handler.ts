import type { Configuration, ConfigurationInit, PytrackError, TrackingResult } from '@pytrack/core'
import type { ClassificationOptions } from './classify-client'
import { attachCore, createCore } from './_internal/core'
import { toWebResponse, WebCoreRequest } from './_internal/web-bridge'
import type { AllowedDestinations } from './_internal/destination'
import type { ForwardedHeader } from './_internal/client-ip'

export type { AllowedDestinations } from './_internal/destination'
export type { ForwardedHeader } from './_internal/client-ip'

/**
 * What an adapter knows beyond the `Request`: the socket's address (the Web `Request` has
 * none) and, on platforms that have it, `waitUntil` to keep hooks running after the response.
 * Adapters add their native objects (`req`, `res`, `reply`, `c`) for your hooks.
 *
 * @example
 * ```ts
 * Deno.serve((request, info) => handler(request, { remoteAddress: info.remoteAddr.hostname }))
 * ```
 */
export interface TrackingContext {
  /** The peer address of the TCP connection. Without it, `user_ip` is null. */
  remoteAddress?: string | null | undefined
  /** Keeps the hooks' work alive after the response (Cloudflare Workers, Vercel). */
  waitUntil?: ((promise: Promise<unknown>) => void) | undefined
  [key: string]: unknown
}

/**
 * The route names, each a path segment (or several, `a/b`) before the token.
 *
 * @example
 * ```ts
 * createTrackingHandler({ routes: { open: 'o', click: 'c' } }) // /o/<token>, /c/<token>
 * ```
 */
export interface TrackingRoutes {
  /** Default `open`: pixels are served at `<prefix>/open/<token>`. */
  open?: string | undefined
  /** Default `click`: redirects are served at `<prefix>/click/<token>`. */
  click?: string | undefined
}

/**
 * Options of {@link createTrackingHandler} and of every adapter's `create...` function.
 *
 * @example
 * ```ts
 * const options: TrackingHandlerOptions = {
 *   configuration: Configuration.fromPytracking(settings),
 *   prefix: '/t',
 *   trustedProxies: ['loopback', '10.0.0.0/8'],
 *   allowedDestinations: ['www.example.com', '*.example.org'],
 *   recordEvent: (result) => db.insert('events', result.toJSON()), // awaited before answering
 *   onTrackingEvent: (result) => queue.push(result.toJSON()),
 * }
 * ```
 */
export interface TrackingHandlerOptions {
  /** How links are read (codec, default metadata, webhook): a core `Configuration` or its fields. */
  configuration?: Configuration | ConfigurationInit | undefined
  /** Route names. Default `{ open: 'open', click: 'click' }`. */
  routes?: TrackingRoutes | undefined
  /**
   * The full path the routes live under, such as `/t` (then only `/t/open/<token>` matches).
   * Default: none, and `.../open/<token>` matches under any prefix, so the handler can be
   * mounted anywhere without repeating the mount path.
   */
  prefix?: string | undefined
  /**
   * Records each decoded open or click BEFORE it is answered: the pixel or redirect waits
   * until the promise it returns resolves (a recorder returning nothing answers at once), so
   * an answered hit is a recorded one (write it to your database here). A throw or a
   * rejection answers `503 Service Unavailable` with `Retry-After: 1` instead (nothing is
   * acknowledged that was not recorded) and goes to `onHookError`; `onTrackingEvent` then
   * is not called. Called only for hits that would get a pixel or a redirect (not for 404,
   * 405 or 414), `HEAD` included.
   */
  recordEvent?: ((result: TrackingResult, request: Request, context: TrackingContext) => unknown) | undefined
  /**
   * Called with each decoded open or click (pytracking's `notify_tracking_event`), after the
   * response is on its way (and after `recordEvent` has resolved). A throw or a rejected
   * promise goes to `onHookError`.
   */
  onTrackingEvent?: ((result: TrackingResult, request: Request, context: TrackingContext) => unknown) | undefined
  /**
   * Called when a link on a tracking route cannot be served: it does not decode, a click link
   * has no URL, its destination is refused ({@link RedirectRefusedError}) or the path is too
   * long (pytracking's `notify_decoding_error`). The client gets 404 (414 for long paths).
   */
  onDecodingError?: ((error: PytrackError, request: Request, context: TrackingContext) => unknown) | undefined
  /** Receives what the hooks (and `recordEvent`) threw or rejected with. Default: `console.error`. */
  onHookError?: ((error: unknown) => unknown) | undefined
  /**
   * The proxies whose forwarding header is believed: addresses, CIDR ranges and the
   * shortcuts `loopback`, `private`, `linklocal`, `uniquelocal`. Default: none (the socket
   * address is the client's).
   */
  trustedProxies?: readonly string[] | undefined
  /** Which header trusted proxies write: `x-forwarded-for` (default) or `forwarded` (RFC 7239). */
  forwardedHeader?: ForwardedHeader | undefined
  /**
   * Where click links sealed by a codec anyone can forge (plain base64) may redirect: host
   * names (`shop.example.com`), subdomains (`*.example.com`), origins
   * (`https://shop.example.com`) or a function. Default: nowhere (such links get 404).
   * Authenticated codecs (Fernet, signed) redirect to any http(s) URL.
   */
  allowedDestinations?: AllowedDestinations | undefined
  /** Redirect unauthenticated (base64) click links anywhere, as pytracking does: an open redirect. Default: false. */
  trustUnauthenticatedLinks?: boolean | undefined
  /** Label each hit (`client_kind`, `client_reason`). Default: true. Pass options to add address ranges. */
  classification?: boolean | ClassificationOptions | undefined
  /** The longest request target (path and query) served on a tracking route; longer gets 414. Default: twice `maxLinkLength`. */
  maxPathLength?: number | undefined
}

/**
 * A Web-standard request handler: `Request` in, `Response` out. It never rejects.
 *
 * @example
 * ```ts
 * const handler: TrackingHandler = createTrackingHandler({ configuration })
 * const response = await handler(new Request('https://t.example.com/open/e30='), { remoteAddress: '192.0.2.1' })
 * ```
 */
export type TrackingHandler = (request: Request, context?: TrackingContext) => Promise<Response>

/**
 * Builds the Web-standard tracking handler: pytracking's `OpenTrackingView` and
 * `ClickTrackingView` in one function. `GET <prefix>/open/<token>` answers the 68-byte pixel,
 * `GET <prefix>/click/<token>` a 302 to the tracked URL, a bad link 404, another method 405.
 * Hooks run after the response and never break it; `recordEvent`, when given, runs before the
 * answer, which waits for it. Works on any runtime with `Request`
 * (Node, Deno, Bun, Workers); see `@pytrack/http/node`, `/express`, `/fastify` and `/hono`.
 *
 * @example
 * ```ts
 * import { createTrackingHandler } from '@pytrack/http'
 *
 * const handler = createTrackingHandler({
 *   configuration: { baseOpenTrackingUrl: 'https://t.example.com/open/', baseClickTrackingUrl: 'https://t.example.com/click/' },
 *   allowedDestinations: ['www.example.com'],
 *   onTrackingEvent: (result) => queue.push(result.toJSON()),
 * })
 * Bun.serve({ fetch: (request, server) => handler(request, { remoteAddress: server.requestIP(request)?.address }) })
 * ```
 */
export function createTrackingHandler(options: TrackingHandlerOptions = {}): TrackingHandler {
  const core = createCore(options)
  const handler: TrackingHandler = async (request, context) => {
    const ctx = context ?? {}
    try {
      const response = core.handle(new WebCoreRequest(request, ctx.remoteAddress), ctx) ?? core.notFound
      return toWebResponse(response instanceof Promise ? await response : response)
    } catch (error) {
      core.reportUnexpected(error)
      return toWebResponse(core.internalError)
    }
  }
  return attachCore(handler, core)
}
