// The behaviour of every adapter, on plain values (method, target, a header getter), so
// node:http can serve a hit without building a Web Request; the Web handler wraps it. Its
// parts, each in its own file: option checking (core-options), routing (router), request data,
// decoding (decoder), the hook scheduler and the recordEvent policy; the answers in responses.
import { LinkTooLongError } from '@pytrack/core'
import type { TrackingContext, TrackingHandlerOptions } from '../tracking-handler'
import { checkCoreOptions } from './core-options'
import { createDecoder } from './decoder'
import { createHookErrorReporter, createHookScheduler } from './hook-scheduler'
import { createRecordPolicy } from './record-policy'
import { createRequestData } from './request-data'
import { INTERNAL_ERROR, NOT_ALLOWED, NOT_FOUND, TOO_LONG } from './responses'
import { createRouter } from './router'

/** A request as the core needs it. `target` is the path and query (origin-form). */
export interface CoreRequest {
  readonly method: string
  readonly target: string
  readonly remoteAddress: string | null | undefined
  /** A header value by lower-case name, or null. */
  header(name: string): string | null
  /** The Web Request hooks receive (node adapters build it on first use). */
  toRequest(): Request
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

const CORE = Symbol.for('@pytrack/http/core')

/** Attaches the core to a handler so adapters can serve it without a Web Request. */
export function attachCore<T extends object>(handler: T, core: TrackingCore): T {
  Object.defineProperty(handler, CORE, { value: core })
  return handler
}

/** The core behind a handler made by createTrackingHandler, if it is one. */
export function coreOf(handler: unknown): TrackingCore | undefined {
  if (typeof handler !== 'function') return undefined
  const core = (handler as unknown as Record<symbol, unknown>)[CORE] as TrackingCore | undefined
  return core && typeof core.handle === 'function' ? core : undefined
}

export function createCore(handlerOptions: TrackingHandlerOptions): TrackingCore {
  const options = checkCoreOptions(handlerOptions)
  const { maxPathLength } = options
  const route = createRouter(options.prefix, options.openRoute, options.clickRoute)
  const requestData = createRequestData(options.classify, options.isTrusted, options.forwardedHeader)
  const decode = createDecoder(options.configuration, options.locationFor)
  const reportHookError = createHookErrorReporter(options.onHookError)
  const hooks = createHookScheduler(options.onTrackingEvent, options.onDecodingError, reportHookError)
  const acknowledge = createRecordPolicy(options.recordEvent, hooks, reportHookError)

  const handle = (request: CoreRequest, context: TrackingContext): CoreResponse | Promise<CoreResponse> | null => {
    const target = request.target
    const found = route(target)
    if (found === null) return null
    const method = request.method
    const isHead = method === 'HEAD'
    if (method !== 'GET' && !isHead) return NOT_ALLOWED
    if (target.length > maxPathLength) {
      const message = `the request path is ${target.length} characters, over maxPathLength (${maxPathLength}); it was refused before decoding`
      hooks.decodingError(new LinkTooLongError(message, { length: target.length, maxLength: maxPathLength }), request, context)
      return isHead ? TOO_LONG.head : TOO_LONG.get
    }
    const now = Date.now()
    let decoded
    try {
      decoded = decode(found, isHead, requestData(request, now), now)
    } catch (error) {
      hooks.decodingError(error, request, context)
      return isHead ? NOT_FOUND.head : NOT_FOUND.get
    }
    return acknowledge(decoded.result, decoded.response, isHead, request, context)
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
    notFound: NOT_FOUND.get,
    internalError: INTERNAL_ERROR,
    reportUnexpected: reportHookError,
  }
}
