import type { Configuration, JsonValue, PytrackError, TrackingResult } from '@pytrack/core'
import { createTrackingHandler, type TrackingContext, type TrackingHandler } from '@pytrack/http'
import { toNodeHandler, type NodeHandler } from '@pytrack/http/node'
import type { Logger } from 'pino'
import { SettingsError } from '../errors/settings-error'
import type { EventStore, NewOutboxItem, NewTrackingEvent, RecordedEvent } from '../store/event-store'

/** Labels of @pytrack/http counted as machine traffic. `mail-proxy` (Gmail, Yahoo) fetches on the reader's open, so it counts as human. */
const MACHINE_KINDS = new Set(['privacy-prefetch', 'scanner', 'preview-bot'])
/** Per-link keys @pytrack/html adds (`linkMetadata: true`); left out of the whole-metadata email identity. */
const PER_LINK_KEYS = new Set(['link_index', 'link_id'])

function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort()
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key] as JsonValue)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/**
 * Which email an event belongs to: the JSON of `metadata[emailKey]` when the link has it,
 * else the canonical JSON of the whole metadata without per-link keys.
 */
export function emailIdOf(metadata: Record<string, JsonValue>, emailKey: string): string {
  const value = metadata[emailKey]
  if (value !== undefined && value !== null) return `${emailKey}=${canonicalJson(value)}`
  const rest: Record<string, JsonValue> = {}
  for (const [key, item] of Object.entries(metadata)) if (!PER_LINK_KEYS.has(key)) rest[key] = item
  return canonicalJson(rest)
}

export function eventOf(result: TrackingResult, emailKey: string): NewTrackingEvent {
  const data = result.requestData
  const label = typeof data?.client_kind === 'string' ? data.client_kind : 'human'
  const requestTime = typeof data?.request_time === 'string' ? Date.parse(data.request_time) : Number.NaN
  return {
    kind: result.isClickTracking ? 'click' : 'open',
    time: Number.isFinite(requestTime) ? requestTime : Date.now(),
    emailId: emailIdOf(result.metadata, emailKey),
    metadata: result.metadata,
    destination: result.trackedUrl,
    clientIp: typeof data?.user_ip === 'string' ? data.user_ip : null,
    userAgent: typeof data?.user_agent === 'string' ? data.user_agent : null,
    machine: MACHINE_KINDS.has(label),
    label,
    labelReason: typeof data?.client_reason === 'string' ? data.client_reason : null,
    requestData: data,
  }
}

/** Splits a base URL's path into what @pytrack/http calls a route: `/t/open/` -> `t/open`. */
function routeOf(base: string, name: string): string {
  const path = new URL(base).pathname.replace(/^\/+|\/+$/g, '')
  if (path === '') {
    throw new SettingsError(name, `${name} (${base}) needs a path such as /open/, so its links do not collide with the API`)
  }
  if (path === 'api' || path.startsWith('api/') || path === 'healthz') {
    throw new SettingsError(name, `${name} (${base}) must not use /api or /healthz, which the HTTP API serves`)
  }
  return path
}

interface RecordingContext extends TrackingContext {
  hooks: Promise<unknown>[]
  recordError?: unknown
}

export interface TrackingRoutesOptions {
  configuration: Configuration
  store: EventStore
  logger: Logger
  emailKey: string
  webhookUrls: readonly string[]
  trustedProxies: readonly string[]
  redirectAllow: readonly string[]
  /** Called after an event with outbox rows is committed. */
  onOutboxWritten: (recorded: RecordedEvent) => void
}

/**
 * The pixel and redirect routes: @pytrack/http's tracking handler, with the event recorded
 * in the store BEFORE the response is written. The handler runs its hooks after it has made
 * the response and reports them through `waitUntil`; this adapter holds the response until
 * that promise settles, so an answered pixel or redirect always has its event committed.
 * If the store fails, the client gets 503 instead (nothing is answered that was not stored).
 */
export function createTrackingRoutes(options: TrackingRoutesOptions): NodeHandler {
  const { configuration, store, logger, emailKey, webhookUrls } = options
  const openRoute = routeOf(configuration.baseOpenTrackingUrl ?? '', 'the open tracking URL')
  const clickRoute = routeOf(configuration.baseClickTrackingUrl ?? '', 'the click tracking URL')
  if (openRoute === clickRoute) {
    throw new SettingsError('PYTRACK_CLICK_URL', 'the open and click tracking URLs must have different paths, such as /open/ and /click/')
  }

  const record = (result: TrackingResult, _request: Request, context: TrackingContext): unknown => {
    const ctx = context as RecordingContext
    try {
      const event = eventOf(result, emailKey)
      const payload = webhookUrls.length === 0 ? '' : JSON.stringify(result)
      const outbox: NewOutboxItem[] = webhookUrls.map((url) => ({ url, payload }))
      const done = (recorded: RecordedEvent): void => {
        if (recorded.outbox.length > 0) options.onOutboxWritten(recorded)
      }
      const recorded = store.recordEvent(event, outbox)
      if (recorded instanceof Promise) {
        return recorded.then(done, (error: unknown) => {
          ctx.recordError = error
          throw error
        })
      }
      done(recorded)
      return undefined
    } catch (error) {
      ctx.recordError = error
      throw error
    }
  }

  const handler = createTrackingHandler({
    configuration,
    prefix: '',
    routes: { open: openRoute, click: clickRoute },
    trustedProxies: options.trustedProxies,
    allowedDestinations: options.redirectAllow,
    onTrackingEvent: record,
    onDecodingError: (error: PytrackError) => {
      logger.debug({ code: error.code }, 'tracking link refused')
    },
    onHookError: (error: unknown) => {
      logger.error({ err: error }, 'tracking event could not be recorded')
    },
  })

  // A Web-standard wrapper (so @pytrack/http/node serves it, through a Request) that holds
  // the answer until the hook has committed the event: the hook reports itself via waitUntil.
  const recording: TrackingHandler = async (request, context) => {
    const ctx: RecordingContext = {
      ...context,
      hooks: [],
      waitUntil: (promise) => {
        ctx.hooks.push(promise)
      },
    }
    const response = await handler(request, ctx)
    if (ctx.hooks.length > 0) await Promise.all(ctx.hooks)
    if (ctx.recordError !== undefined && (response.status === 200 || response.status === 302)) {
      return new Response('Service Unavailable\n', {
        status: 503,
        headers: { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '5', 'cache-control': 'no-store' },
      })
    }
    return response
  }
  return toNodeHandler(recording)
}
