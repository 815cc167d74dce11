// The behaviour of every adapter: routing, client IP, classification, decoding, redirect
// safety, responses and hooks. It works on plain values (method, target, a header getter),
// so node:http can serve a hit without building a Web Request; the Web handler wraps it.
import {
  Configuration,
  ConfigurationError,
  getClickTrackingResult,
  getOpenTrackingPixel,
  getOpenTrackingResult,
  InvalidLinkError,
  isPytrackError,
  LinkTooLongError,
  PIXEL_MIME_TYPE,
  type PytrackError,
  type RequestData,
  type TrackingResult,
} from '@pytrack/core'
import type { TrackingContext, TrackingHandlerOptions } from '../tracking-handler'
import { createClassifier, type Classifier } from './classifier'
import { clientIp, type ForwardedHeader } from './client-ip'
import { createLocationResolver } from './destination'
import { compileRanges, type RangeTest } from './ip'

/** A request as the core needs it. `target` is the path and query (origin-form). */
export interface CoreRequest {
  readonly method: string
  readonly target: string
  readonly remoteAddress: string | null | undefined
  /** A header value by lower-case name, or null. */
  header(name: string): string | null
  /** The Web Request hooks receive (node adapters build it on first use). */
  toRequest(): Request
  /**
   * True when the adapter writes a synchronous answer to the socket before handle()'s caller
   * returns (node:http and Express): hooks for such hits run in a microtask, right after the
   * write, instead of on a later loop turn (at light load, one extra loop iteration per hit).
   */
  readonly writesAtOnce: boolean
}

/** A response as the core makes it: adapters copy it out. Header names are lower-case. */
export interface CoreResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  /** The same headers as a flat `[name, value, ...]` list, which node:http writes without enumerating an object. */
  readonly headerList: readonly string[]
  readonly body: Uint8Array<ArrayBuffer> | null
}

export interface TrackingCore {
  /**
   * The response for a tracking route, or null when the path is not one (adapters pass it on).
   * A promise (never rejected) only when `recordEvent` returned one: the answer waits for it.
   * Never throws: a failure is reported to onHookError and answered with `internalError`.
   */
  handle(request: CoreRequest, context: TrackingContext): CoreResponse | Promise<CoreResponse> | null
  /** What the Web and node handlers answer for paths that are not tracking routes. */
  readonly notFound: CoreResponse
  readonly internalError: CoreResponse
  reportUnexpected(error: unknown): void
}

const NO_CACHE = 'no-store, no-cache, must-revalidate, private'
const ALLOW = 'GET, HEAD'
const TEXT = 'text/plain; charset=utf-8'
const encoder = new TextEncoder()

function textResponse(status: number, text: string, extra: Record<string, string> = {}): CoreResponse {
  const body = encoder.encode(`${text}\n`)
  return freeze(status, { 'content-type': TEXT, 'cache-control': NO_CACHE, 'content-length': String(body.length), ...extra }, body)
}

function freeze(status: number, headers: Record<string, string>, body: Uint8Array<ArrayBuffer> | null): CoreResponse {
  return Object.freeze({ status, headers: Object.freeze(headers), headerList: Object.freeze(Object.entries(headers).flat()), body })
}

function withoutBody(response: CoreResponse): CoreResponse {
  return freeze(response.status, { ...response.headers }, null)
}

const PIXEL = getOpenTrackingPixel()[0] as Uint8Array<ArrayBuffer>
const PIXEL_HEADERS = {
  'content-type': PIXEL_MIME_TYPE,
  'content-length': String(PIXEL.length),
  'cache-control': NO_CACHE,
  pragma: 'no-cache',
  expires: '0',
}
const PIXEL_RESPONSE = freeze(200, PIXEL_HEADERS, PIXEL)
const PIXEL_HEAD = withoutBody(PIXEL_RESPONSE)
const NOT_FOUND = textResponse(404, 'Not Found')
const NOT_FOUND_HEAD = withoutBody(NOT_FOUND)
const TOO_LONG = textResponse(414, 'URI Too Long')
const TOO_LONG_HEAD = withoutBody(TOO_LONG)
const NOT_ALLOWED = textResponse(405, 'Method Not Allowed', { allow: ALLOW })
const INTERNAL_ERROR = textResponse(500, 'Internal Server Error')
// recordEvent failed: nothing is acknowledged that was not stored, and the client may try again.
const UNAVAILABLE = textResponse(503, 'Service Unavailable', { 'retry-after': '1' })
const UNAVAILABLE_HEAD = withoutBody(UNAVAILABLE)

// Hooks run after the response has been handed to the socket: setImmediate comes after the
// microtasks in which adapters write the response (adapters that write at once: a microtask).
const later: (task: () => void) => void =
  typeof setImmediate === 'function' ? (task) => void setImmediate(task) : (task) => void setTimeout(task, 0)

/** A hook call waiting for its turn: the hook's subject (result or error), request, context, waitUntil's resolver. */
type Pending = [isEvent: boolean, subject: TrackingResult | PytrackError, request: CoreRequest, context: TrackingContext, done: (() => void) | undefined]

const HOOKS = Symbol.for('@pytrack/http/core')

/** Attaches the core to a handler so adapters can take the fast path. */
export function attachCore<T extends object>(handler: T, core: TrackingCore): T {
  Object.defineProperty(handler, HOOKS, { value: core })
  return handler
}

/** The core behind a handler made by createTrackingHandler, if it is one. */
export function coreOf(handler: unknown): TrackingCore | undefined {
  if (typeof handler !== 'function') return undefined
  const core = (handler as unknown as Record<symbol, unknown>)[HOOKS] as TrackingCore | undefined
  return core && typeof core.handle === 'function' ? core : undefined
}

function routeName(name: unknown, fallback: string, which: string): string {
  if (name === undefined) return fallback
  if (typeof name !== 'string' || !/^[A-Za-z0-9._~!$&'()*+,;=:@%-]+(\/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)*$/.test(name)) {
    throw new ConfigurationError(`routes.${which} must be one or more path segments such as "${fallback}" or "t/${fallback}", without leading or trailing "/"`, { setting: 'routes' })
  }
  return name
}

function prefixOf(prefix: unknown): string | undefined {
  if (prefix === undefined) return undefined
  if (typeof prefix !== 'string' || /[?#\s]/.test(prefix)) {
    throw new ConfigurationError('prefix must be a path such as "/t" (no query, fragment or spaces)', { setting: 'prefix' })
  }
  let value = prefix.replace(/\/+$/, '')
  if (value !== '' && !value.startsWith('/')) value = `/${value}`
  return value
}

function configurationOf(value: TrackingHandlerOptions['configuration']): Configuration {
  if (value === undefined) return new Configuration()
  if (value instanceof Configuration) return value
  if (typeof value !== 'object' || value === null) {
    throw new ConfigurationError('configuration must be a Configuration or an object of its fields, such as { baseClickTrackingUrl }', { setting: 'configuration' })
  }
  return new Configuration(value)
}

function optionalFunction<T>(name: string, value: T | undefined): T | undefined {
  if (value !== undefined && typeof value !== 'function') throw new ConfigurationError(`${name} must be a function`, { setting: name })
  return value
}

function defaultHookError(error: unknown): void {
  console.error('@pytrack/http: a tracking hook failed (pass onHookError to handle this):', error)
}

const noop = (): void => {}

export function createCore(options: TrackingHandlerOptions): TrackingCore {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigurationError('createTrackingHandler takes an object of options, such as { configuration }')
  }
  const configuration = configurationOf(options.configuration)
  const routes = options.routes ?? {}
  const open = routeName(routes.open, 'open', 'open')
  const click = routeName(routes.click, 'click', 'click')
  if (open === click) throw new ConfigurationError('routes.open and routes.click must differ', { setting: 'routes' })
  const prefix = prefixOf(options.prefix)
  const openPath = `${prefix ?? ''}/${open}`
  const clickPath = `${prefix ?? ''}/${click}`

  const recordEvent = optionalFunction('recordEvent', options.recordEvent)
  const onTrackingEvent = optionalFunction('onTrackingEvent', options.onTrackingEvent)
  const onDecodingError = optionalFunction('onDecodingError', options.onDecodingError)
  const onHookError = optionalFunction('onHookError', options.onHookError) ?? defaultHookError

  let isTrusted: RangeTest | undefined
  if (options.trustedProxies !== undefined) {
    if (!Array.isArray(options.trustedProxies)) {
      throw new ConfigurationError('trustedProxies must be an array such as ["loopback", "10.0.0.0/8"]', { setting: 'trustedProxies' })
    }
    const compiled = compileRanges(options.trustedProxies)
    if (typeof compiled === 'string') {
      throw new ConfigurationError(`trustedProxies entry "${compiled}" is not an IP address, a CIDR range or one of loopback, private, linklocal, uniquelocal`, { setting: 'trustedProxies' })
    }
    if (options.trustedProxies.length > 0) isTrusted = compiled
  }
  const forwardedHeader: ForwardedHeader = options.forwardedHeader ?? 'x-forwarded-for'
  if (forwardedHeader !== 'x-forwarded-for' && forwardedHeader !== 'forwarded') {
    throw new ConfigurationError('forwardedHeader must be "x-forwarded-for" or "forwarded"', { setting: 'forwardedHeader' })
  }

  const trustUnauthenticated = options.trustUnauthenticatedLinks ?? false
  if (typeof trustUnauthenticated !== 'boolean') throw new ConfigurationError('trustUnauthenticatedLinks must be true or false', { setting: 'trustUnauthenticatedLinks' })
  const locationFor = createLocationResolver(
    trustUnauthenticated || configuration.codec.authenticated === true,
    options.allowedDestinations,
  )

  const classification = options.classification ?? true
  let classify: Classifier | undefined
  if (classification === true) classify = createClassifier()
  else if (typeof classification === 'object' && classification !== null) classify = createClassifier(classification)
  else if (classification !== false) throw new ConfigurationError('classification must be true, false or an object of address ranges', { setting: 'classification' })

  const maxPathLength = options.maxPathLength ?? configuration.maxLinkLength * 2
  if (typeof maxPathLength !== 'number' || !Number.isInteger(maxPathLength) || maxPathLength < 16) {
    throw new ConfigurationError(`maxPathLength must be a whole number of characters, at least 16; got ${typeof maxPathLength === 'number' ? String(maxPathLength) : typeof maxPathLength}`, { setting: 'maxPathLength' })
  }

  const reportHookError = (error: unknown): void => {
    try {
      const outcome = onHookError(error) as { then?: unknown } | undefined
      if (outcome && typeof outcome.then === 'function') (outcome as Promise<unknown>).then(noop, noop)
    } catch {
      // The last resort has failed too; nothing is left to tell.
    }
  }

  // After a hook returned: a rejection goes to onHookError, never further.
  const settle = (outcome: unknown, done: (() => void) | undefined): void => {
    if (outcome && typeof (outcome as { then?: unknown }).then === 'function') {
      const settled = Promise.resolve(outcome).then(noop, reportHookError)
      if (done) void settled.finally(done)
    } else {
      done?.()
    }
  }

  // With waitUntil (Workers), the platform is told, while the request is live, to wait for the hook.
  const keepAlive = (context: TrackingContext): (() => void) | undefined => {
    if (typeof context.waitUntil !== 'function') return undefined
    let done: (() => void) | undefined
    try {
      context.waitUntil(new Promise<void>((resolve) => (done = resolve)))
    } catch (error) {
      reportHookError(error)
    }
    return done
  }

  // Hook calls are queued and run in order, in one deferred task per batch of hits: one
  // timer for many hits under load, instead of one each. Hits whose adapter has written the
  // answer by the time the current call stack unwinds go to their own queue, run in a
  // microtask: at light load, a later loop turn would cost each an extra loop iteration.
  let queue: Pending[] = []
  let soonQueue: Pending[] = []
  const run = (batch: Pending[]): void => {
    for (const [isEvent, subject, request, context, done] of batch) {
      let outcome: unknown
      try {
        outcome = isEvent
          ? onTrackingEvent?.(subject as TrackingResult, request.toRequest(), context)
          : onDecodingError?.(subject as PytrackError, request.toRequest(), context)
      } catch (error) {
        reportHookError(error)
        done?.()
        continue
      }
      settle(outcome, done)
    }
  }
  const flush = (): void => {
    const batch = queue
    queue = []
    run(batch)
  }
  const flushSoon = (): void => {
    const batch = soonQueue
    soonQueue = []
    run(batch)
  }
  // `soon`: the adapter writes this hit's answer synchronously once handle() returns.
  const enqueue = (pending: Pending, soon: boolean): void => {
    if (soon) {
      if (soonQueue.push(pending) === 1) queueMicrotask(flushSoon)
    } else if (queue.push(pending) === 1) {
      later(flush)
    }
  }

  // `soon`: as for enqueue.
  const trackingEvent = (result: TrackingResult, request: CoreRequest, context: TrackingContext, soon: boolean): void => {
    if (onTrackingEvent) enqueue([true, result, request, context, keepAlive(context)], soon)
  }

  const decodingError = (error: unknown, request: CoreRequest, context: TrackingContext): void => {
    if (!onDecodingError) return
    const pytrackError: PytrackError = isPytrackError(error)
      ? error
      : new InvalidLinkError('the tracking link could not be decoded', { cause: error })
    enqueue([false, pytrackError, request, context, keepAlive(context)], request.writesAtOnce)
  }

  // recordEvent runs before the answer: a throw or a rejection answers 503 instead of the
  // pixel or redirect, so no hit is acknowledged that was not recorded. A recorder that
  // returns no promise keeps the answer synchronous.
  const record = (
    result: TrackingResult,
    response: CoreResponse,
    isHead: boolean,
    request: CoreRequest,
    context: TrackingContext,
  ): CoreResponse | Promise<CoreResponse> => {
    let outcome: unknown
    try {
      outcome = (recordEvent as NonNullable<typeof recordEvent>)(result, request.toRequest(), context)
    } catch (error) {
      reportHookError(error)
      return isHead ? UNAVAILABLE_HEAD : UNAVAILABLE
    }
    if (outcome === null || outcome === undefined || typeof (outcome as { then?: unknown }).then !== 'function') {
      trackingEvent(result, request, context, request.writesAtOnce)
      return response
    }
    return Promise.resolve(outcome).then(
      () => {
        // The adapter writes the answer in a later microtask: hooks wait for a later turn.
        trackingEvent(result, request, context, false)
        return response
      },
      (error: unknown) => {
        reportHookError(error)
        return isHead ? UNAVAILABLE_HEAD : UNAVAILABLE
      },
    )
  }

  const routeAt = (path: string, slash: number, route: string): boolean =>
    (prefix === undefined ? slash >= route.length : slash === route.length) && path.startsWith(route, slash - route.length)

  // Hits in the same millisecond share the formatted time.
  let lastNow = 0
  let lastIso = ''

  const handle = (request: CoreRequest, context: TrackingContext): CoreResponse | Promise<CoreResponse> | null => {
    const target = request.target
    const query = target.indexOf('?')
    let path = query === -1 ? target : target.slice(0, query)
    if (path.charCodeAt(0) !== 0x2f) {
      // absolute-form (GET http://host/path), as sent to proxies
      const scheme = path.indexOf('://')
      if (scheme === -1) return null
      const slash = path.indexOf('/', scheme + 3)
      if (slash === -1) return null
      path = path.slice(slash)
    }
    let end = path.length
    if (end > 1 && path.charCodeAt(end - 1) === 0x2f) end--
    const slash = path.lastIndexOf('/', end - 1)
    if (slash <= 0 || slash === end - 1) return null
    // The route is what comes before the token's slash: path[0, slash) ends with (or, with a
    // prefix, is) `<prefix>/<route>`. Compared in place, without slicing it out.
    let isOpen: boolean
    if (routeAt(path, slash, openPath)) isOpen = true
    else if (routeAt(path, slash, clickPath)) isOpen = false
    else return null

    const method = request.method
    const isHead = method === 'HEAD'
    if (method !== 'GET' && !isHead) return NOT_ALLOWED

    if (target.length > maxPathLength) {
      decodingError(
        new LinkTooLongError(
          `the request path is ${target.length} characters, over maxPathLength (${maxPathLength}); it was refused before decoding`,
          target.length,
          maxPathLength,
        ),
        request,
        context,
      )
      return isHead ? TOO_LONG_HEAD : TOO_LONG
    }

    const userAgent = request.header('user-agent')
    const ip = clientIp(
      request.remoteAddress,
      isTrusted,
      isTrusted ? request.header(forwardedHeader) : null,
      forwardedHeader,
    )
    const now = Date.now()
    if (now !== lastNow) {
      lastNow = now
      lastIso = new Date(now).toISOString()
    }
    // One literal each way, so every hit's object has the same shape from the start.
    let requestData: RequestData
    if (classify) {
      const label = classify(method, userAgent, ip, request)
      requestData = {
        user_agent: userAgent,
        user_ip: ip,
        request_time: lastIso,
        method,
        referer: request.header('referer'),
        client_kind: label.kind,
        client_reason: label.reason,
      }
    } else {
      requestData = { user_agent: userAgent, user_ip: ip, request_time: lastIso, method, referer: request.header('referer') }
    }

    let result: TrackingResult
    let response: CoreResponse
    try {
      const decode = isOpen ? getOpenTrackingResult : getClickTrackingResult
      result = decode(path.slice(slash + 1, end), { configuration, requestData, timestamp: Math.floor(now / 1000) })
      if (isOpen) {
        response = isHead ? PIXEL_HEAD : PIXEL_RESPONSE
      } else {
        const destination = result.trackedUrl
        if (!destination) throw new InvalidLinkError('the click link has no destination URL')
        const target = locationFor(destination)
        response = target.response ??= freeze(
          302,
          { location: target.location, 'cache-control': NO_CACHE, pragma: 'no-cache', expires: '0', 'content-length': '0' },
          null,
        )
      }
    } catch (error) {
      decodingError(error, request, context)
      return isHead ? NOT_FOUND_HEAD : NOT_FOUND
    }
    if (recordEvent) return record(result, response, isHead, request, context)
    trackingEvent(result, request, context, request.writesAtOnce)
    return response
  }

  return {
    handle(request, context) {
      try {
        return handle(request, context)
      } catch (error) {
        reportHookError(error)
        return INTERNAL_ERROR
      }
    },
    notFound: NOT_FOUND,
    internalError: INTERNAL_ERROR,
    reportUnexpected: reportHookError,
  }
}
