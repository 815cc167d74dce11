import { randomUUID } from 'node:crypto'
import { isDoNotTrack, isPytrackError, type Configuration, type JsonValue, type PytrackError, type RequestData, type TrackingResult } from '@pytrack/core'
import { createTrackingHandler } from '@pytrack/http'
import { toNodeHandler, type NodeHandler } from '@pytrack/http/node'
import type { Logger } from 'pino'
import { SettingsError } from '../errors/settings-error'
import { StoreError } from '../errors/store-error'
import type { EventStore, NewOutboxItem, NewTrackingEvent, RecordedEvent, RecordRequest } from '../store/event-store'
import { GroupCommit } from './group-commit'
import { requestDataUnder, type PrivacyPolicy } from './privacy'

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
function emailIdOf(metadata: Record<string, JsonValue>, emailKey: string): string {
  const value = metadata[emailKey]
  if (value !== undefined && value !== null) return `${emailKey}=${canonicalJson(value)}`
  const rest: Record<string, JsonValue> = {}
  for (const [key, item] of Object.entries(metadata)) if (!PER_LINK_KEYS.has(key)) rest[key] = item
  return canonicalJson(rest)
}

function eventOf(result: TrackingResult, data: RequestData | null, emailKey: string): NewTrackingEvent {
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
  if (path === 'dashboard' || path.startsWith('dashboard/')) {
    throw new SettingsError(name, `${name} (${base}) must not use /dashboard, where the dashboard is`)
  }
  return path
}

export interface TrackingRoutesOptions {
  configuration: Configuration
  store: EventStore
  logger: Logger
  emailKey: string
  webhookUrls: readonly string[]
  trustedProxies: readonly string[]
  redirectAllow: readonly string[]
  /** What of the client's address and User-Agent is written (the label is computed from all of it first). */
  privacy: PrivacyPolicy
  /** Called after an event with outbox rows is committed. */
  onOutboxWritten: () => void
}

/**
 * The pixel and redirect routes: @pytrack/http's node adapter, with the event recorded in
 * the store BEFORE the answer is written. Its `recordEvent` option is awaited before the
 * pixel or redirect goes out: each hit's event joins the next group commit (the hits of one
 * event-loop turn share a transaction) and its promise resolves once that transaction is
 * committed. An answered pixel or redirect therefore always has its event committed; if
 * the store fails, the promise rejects and the handler answers 503 instead.
 */
export function createTrackingRoutes(options: TrackingRoutesOptions): NodeHandler {
  const { configuration, store, logger, emailKey, webhookUrls } = options
  const openRoute = routeOf(configuration.baseOpenTrackingUrl ?? '', 'the open tracking URL')
  const clickRoute = routeOf(configuration.baseClickTrackingUrl ?? '', 'the click tracking URL')
  if (openRoute === clickRoute) {
    throw new SettingsError('PYTRACK_CLICK_URL', 'the open and click tracking URLs must have different paths, such as /open/ and /click/')
  }

  const commits = new GroupCommit(store)
  const committed = (recorded: RecordedEvent): void => {
    if (recorded.outbox.length === 0) return
    try {
      options.onOutboxWritten()
    } catch (error) {
      // The event is stored: the answer must not turn into a 503 because of the wake-up call.
      logger.error({ err: error }, 'could not wake the webhook dispatcher; it finds the rows on its next round')
    }
  }
  const notRecorded = (error: unknown): never => {
    throw isPytrackError(error, 'ERR_PYTRACK_STORE') ? error : new StoreError('the tracking event could not be recorded', { cause: error })
  }

  const recordEvent = (result: TrackingResult): Promise<void> | undefined => {
    // Do-not-track: answered as usual, nothing stored, nothing forwarded.
    if (isDoNotTrack(result.metadata)) return undefined
    // The label was computed from the full request; only what the policy keeps is written.
    const data = requestDataUnder(options.privacy, result.requestData)
    const payload =
      webhookUrls.length === 0 ? '' : JSON.stringify(data === result.requestData ? result : { ...result.toJSON(), request_data: data })
    // The webhook-id is fixed here, once: every attempt, by any instance, sends this one.
    const outbox = webhookUrls.map((url): NewOutboxItem => ({ webhookId: `msg_${randomUUID().replaceAll('-', '')}`, url, payload }))
    const request: RecordRequest = { event: eventOf(result, data, emailKey), outbox }
    return commits.add(request).then(committed, notRecorded)
  }

  const handler = createTrackingHandler({
    configuration,
    prefix: '',
    routes: { open: openRoute, click: clickRoute },
    trustedProxies: options.trustedProxies,
    allowedDestinations: options.redirectAllow,
    recordEvent,
    onDecodingError: (error: PytrackError) => {
      logger.debug({ code: error.code }, 'tracking link refused')
    },
    onHookError: (error: unknown) => {
      if (isPytrackError(error, 'ERR_PYTRACK_STORE')) logger.error({ err: error }, 'tracking event could not be recorded; answered 503')
      else logger.error({ err: error }, 'tracking handler failed')
    },
  })
  return toNodeHandler(handler)
}
