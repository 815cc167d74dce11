import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Configuration, JsonValue, PytrackError, TrackingResult } from '@pytrack/core'
import { createTrackingHandler, type TrackingContext } from '@pytrack/http'
import { toNodeHandler, type NodeHandler } from '@pytrack/http/node'
import type { Logger } from 'pino'
import { SettingsError } from '../errors/settings-error'
import type { EventStore, NewOutboxItem, NewTrackingEvent, RecordedEvent, RecordRequest } from '../store/event-store'
import { GroupCommit } from './group-commit'

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

/**
 * Stands in for the node response while @pytrack/http's node adapter answers, and keeps the
 * answer until the event is committed. The adapter writes a response with `writeHead` and
 * `end` (its fast path, no Web Request per hit); the hook then records and releases it.
 */
class HeldResponse {
  status = 0
  headers: Record<string, string> = {}
  body: Uint8Array | undefined
  ended = false
  released = false
  timer: NodeJS.Timeout | undefined
  readonly res: ServerResponse

  constructor(res: ServerResponse) {
    this.res = res
  }

  get headersSent(): boolean {
    return this.ended
  }

  writeHead(status: number, headers?: Record<string, string>): this {
    this.status = status
    if (headers !== undefined) this.headers = headers
    return this
  }

  setHeader(name: string, value: string | number | readonly string[]): this {
    this.headers = { ...this.headers, [name.toLowerCase()]: Array.isArray(value) ? value.join(', ') : String(value) }
    return this
  }

  write(chunk: Uint8Array | string): boolean {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    this.body = this.body === undefined ? bytes : Buffer.concat([this.body, bytes])
    return true
  }

  end(body?: Uint8Array | string): this {
    if (body !== undefined) this.write(body)
    this.ended = true
    return this
  }

  // Lifecycle events ('close', 'finish') are the real response's.
  on(event: string, listener: (...args: unknown[]) => void): this {
    this.res.on(event, listener)
    return this
  }

  once(event: string, listener: (...args: unknown[]) => void): this {
    this.res.once(event, listener)
    return this
  }

  destroy(): void {
    this.released = true
    this.res.destroy()
  }

  /** Writes the held answer, or 503 when the event could not be stored. */
  release(stored: boolean): void {
    if (this.released) return
    this.released = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    if (!stored) {
      this.res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '5', 'cache-control': 'no-store' })
      this.res.end('Service Unavailable\n')
      return
    }
    this.res.writeHead(this.status, this.headers)
    this.res.end(this.body)
  }
}

/** Pixels (200) and redirects (302) are the answers whose hook records an event. */
function awaitsEvent(held: HeldResponse): boolean {
  return held.ended && (held.status === 200 || held.status === 302)
}

// If a hook never came (it always does for 200/302), the client still gets an answer.
const HOOK_WAIT_MS = 10_000

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
 * The pixel and redirect routes: @pytrack/http's node adapter, with the event recorded in
 * the store BEFORE the response is written. The handler calls its `onTrackingEvent` hook
 * after it has made the response, so the adapter is given a {@link HeldResponse}; the hook
 * queues the event for the next group commit, and the answer goes to the socket once that
 * transaction is committed. An answered pixel or redirect
 * therefore always has its event committed; if the store fails, the client gets 503 instead.
 */
export function createTrackingRoutes(options: TrackingRoutesOptions): NodeHandler {
  const { configuration, store, logger, emailKey, webhookUrls } = options
  const openRoute = routeOf(configuration.baseOpenTrackingUrl ?? '', 'the open tracking URL')
  const clickRoute = routeOf(configuration.baseClickTrackingUrl ?? '', 'the click tracking URL')
  if (openRoute === clickRoute) {
    throw new SettingsError('PYTRACK_CLICK_URL', 'the open and click tracking URLs must have different paths, such as /open/ and /click/')
  }

  const held = new WeakMap<IncomingMessage, HeldResponse>()

  const commits = new GroupCommit(store)

  const record = (result: TrackingResult, _request: Request, context: TrackingContext): void => {
    const response = held.get(context.req as IncomingMessage)
    let request: RecordRequest
    try {
      const payload = webhookUrls.length === 0 ? '' : JSON.stringify(result)
      request = { event: eventOf(result, emailKey), outbox: webhookUrls.map((url): NewOutboxItem => ({ url, payload })) }
    } catch (error) {
      response?.release(false)
      throw error
    }
    commits.add(request, (error, recorded) => {
      response?.release(error === undefined)
      if (error !== undefined) logger.error({ err: error }, 'tracking event could not be recorded; answered 503')
      else if (recorded !== undefined && recorded.outbox.length > 0) options.onOutboxWritten(recorded)
    })
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

  const node = toNodeHandler(handler)
  return (req, res) => {
    const response = new HeldResponse(res)
    held.set(req, response)
    try {
      node(req, response as unknown as ServerResponse)
    } catch (error) {
      logger.error({ err: error }, 'tracking handler failed')
      response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Internal Server Error\n')
    }
    if (!awaitsEvent(response)) {
      response.release(true)
      return
    }
    response.timer = setTimeout(() => {
      logger.error('no tracking event came for an answered pixel or redirect; answering 503')
      response.release(false)
    }, HOOK_WAIT_MS)
    response.timer.unref()
  }
}
