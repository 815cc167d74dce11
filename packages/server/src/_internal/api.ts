import { channel } from 'node:diagnostics_channel'
import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  getClickTrackingUrl,
  getOpenTrackingUrl,
  isPytrackError,
  type Configuration,
  type JsonValue,
  type Metadata,
} from '@pytrack/core'
import { adaptBody, adaptOptions } from './adapt-body'
import { checkAdaptSize } from './adapt-limit'
import { AdaptJobError, MAX_QUEUED_ADAPTS, type AdaptJob, type AdaptPool } from './adapt-pool'
import type { Logger } from 'pino'
import { ApiError } from '../errors/api-error'
import type { EventStore, EventSubject, OutboxItem, OutboxStatus, TimeRange, TimeseriesInterval, TrackingEvent } from '../store/event-store'
import { decodeCursor, encodeCursor, groupKey, pageLimit } from './cursor'
import { createTokenCheck, readJsonBody, sendError, sendJson, sendJsonText } from './http-io'
import { OPENAPI_DOCUMENT } from './openapi'
import { checkBody, documentedOperations, findPath, readParameters, takesJsonLines } from './openapi-validator'
import { serveBatch } from './batch'

/** Body limits: an HTML email may be large, everything else is small. */
const ADAPT_BODY_LIMIT: number = 1024 * 1024
const BODY_LIMIT: number = 64 * 1024

/**
 * Published when an adapt request's work begins (`{ phase: 'start' }`, after its body was read
 * and checked) and when it is over (`{ phase: 'end' }`, answered or failed). Free when nobody
 * listens; the tests listen, to see what the event loop answers in between.
 */
export const adaptWorkChannel: ReturnType<typeof channel> = channel('pytrack:server:adapt-work')

export interface ApiContext {
  store: EventStore
  configuration: Configuration
  apiToken: string | null
  logger: Logger
  /** Called after a failed delivery is put back in the queue. */
  wakeDispatcher: () => void
  /** Where adapt requests run; without one, on the event loop. */
  adaptPool?: AdaptPool
}

/** A request that passed the checks of its OpenAPI operation. */
interface ApiCall {
  request: IncomingMessage
  response: ServerResponse
  /** The JSON body (checked against the operation's schema); `{}` for operations without one. */
  body: Record<string, unknown>
  /** The query and path parameters the operation declares, checked; integers as numbers. */
  params: Record<string, string | number>
}

type Handler = (call: ApiCall) => Promise<void>

const BODY_LIMITS: Record<string, number> = { '/api/v1/adapt': ADAPT_BODY_LIMIT, '/api/v1/adapt-text': ADAPT_BODY_LIMIT }

function metadataOf(body: Record<string, unknown>): Metadata | null {
  return (body.metadata ?? null) as Metadata | null
}

/** The subject of a privacy request whose body the schema has checked. */
function subjectOf(body: Record<string, unknown>): EventSubject {
  if (typeof body.emailId === 'string') return { emailId: body.emailId }
  return { key: body.key as string, value: body.value as JsonValue }
}

/** How a privacy request named its subject, for the log: `emailId` or the metadata key, never the value. */
function subjectKind(subject: EventSubject): string {
  return 'emailId' in subject ? 'emailId' : subject.key
}

const HOUR = 3_600_000
const DAY = 24 * HOUR
const MAX_BUCKETS = 10_000

/** A `from` or `to` parameter (checked by the document): ms since the epoch or an ISO 8601 time. */
function timeOf(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback
  const time = /^\d+$/.test(text) ? Number(text) : Date.parse(text)
  if (!Number.isFinite(time)) throw new ApiError(`${name} is not a time: use ms since the epoch or ISO 8601 such as 2026-11-01T00:00:00Z`, { status: 400, reason: 'invalid_request' })
  return time
}

/** The time range and metadata value of a stats query. */
function rangeOf(params: Record<string, string | number>, defaultFrom: number): TimeRange {
  const to = timeOf('to', params.to as string | undefined, Date.now())
  const from = timeOf('from', params.from as string | undefined, Math.min(defaultFrom, to - HOUR))
  if (from >= to) throw new ApiError('from must be before to', { status: 400, reason: 'invalid_request' })
  const groupBy = groupKey(params.groupBy as string | undefined)
  const value = params.value as string | undefined
  if ((groupBy === undefined) !== (value === undefined)) throw new ApiError('groupBy and value go together: give both, or neither for all events', { status: 400, reason: 'invalid_request' })
  return groupBy === undefined ? { from, to } : { from, to, groupBy, value }
}

/**
 * The newest `count` events, oldest first, with the contract's `after` paging alone: a search
 * for the newest id (doubling, then halving: about 2 log2(n) one-row pages), then the events
 * of a window before it, widened while ids have gaps.
 */
async function newestEvents(store: EventStore, count: number): Promise<TrackingEvent[]> {
  const firstAfter = async (id: number): Promise<number | undefined> => (await store.listEvents({ after: id, limit: 1 })).items[0]?.id
  let newest = await firstAfter(0)
  if (newest === undefined) return []
  // Invariant once found: `newest` is an event id, and no event has an id above `bound`.
  let step = 1
  let bound: number
  for (;;) {
    const next = await firstAfter(newest + step)
    if (next === undefined) {
      bound = newest + step
      break
    }
    newest = next
    step *= 2
  }
  while (newest < bound) {
    const middle = Math.floor((newest + bound) / 2)
    const next = await firstAfter(middle)
    if (next === undefined) bound = middle
    else newest = next
  }
  for (let span = count; ; span *= 4) {
    const after = Math.max(0, newest - span)
    const page = await store.listEvents({ after, limit: 1000 })
    if (page.items.length >= count || after === 0 || page.hasMore) return page.items.slice(-count)
  }
}

/** The origin of a webhook URL: its path, query and credentials are often the receiver's secret (Slack, Discord). */
function originOf(url: string): string {
  try {
    const { origin } = new URL(url)
    return origin === 'null' ? 'a webhook' : origin
  } catch {
    return 'a webhook'
  }
}

/** A delivery as the API shows it: the receiver by its origin, also inside the last error. */
function publicDelivery(item: OutboxItem): OutboxItem {
  const origin = originOf(item.url)
  let lastError = item.lastError
  if (lastError !== null) {
    const forms = new Set([item.url])
    try {
      const url = new URL(item.url)
      forms.add(url.href)
      url.username = ''
      url.password = ''
      forms.add(url.href)
      url.search = ''
      url.hash = ''
      forms.add(url.href)
      forms.add(url.href.replace(/\/$/, ''))
    } catch {
      // Not a URL: the raw form above is all there is to hide.
    }
    // Longest first, so a shorter form never leaves the tail of a longer one behind.
    for (const form of [...forms].sort((a, b) => b.length - a.length)) if (form !== '') lastError = lastError.split(form).join(origin)
  }
  return { ...item, url: origin, lastError }
}

/** Turns any error into the API's answer; only unknown errors are logged (never the request body). */
function toApiError(error: unknown, logger: Logger): ApiError {
  if (error instanceof ApiError) return error
  // A pytrack error thrown here or in the adapt worker (which sends its code and message).
  const known = isPytrackError(error) || (error instanceof AdaptJobError && error.code !== null) ? error : undefined
  if (known) {
    switch (known.code) {
      case 'ERR_PYTRACK_METADATA':
        return new ApiError(known.message, { status: 400, reason: 'invalid_metadata' })
      case 'ERR_PYTRACK_LINK_TOO_LONG':
        return new ApiError(known.message, { status: 400, reason: 'link_too_long' })
      case 'ERR_PYTRACK_INVALID_ARGUMENT':
      case 'ERR_PYTRACK_INVALID_DESTINATION':
      case 'ERR_PYTRACK_CONFIGURATION':
        return new ApiError(known.message, { status: 400, reason: 'invalid_request' })
      case 'ERR_PYTRACK_STORE':
        logger.error({ err: error }, 'event store failed')
        return new ApiError('the event store is not available; try again later', { status: 503, reason: 'unavailable' })
      default:
        break
    }
  }
  logger.error({ err: error }, 'API request failed')
  return new ApiError('the server failed to answer; see its logs', { status: 500, reason: 'internal' })
}

/**
 * The HTTP API: `/healthz` and `/api/v1/...`, on node:http, routed and checked by the OpenAPI
 * document (openapi.ts): a request reaches its handler only when its parameters and body match
 * the operation. Every answer is JSON; errors are `{"error":{"code","message"}}` with a 4xx/5xx
 * status. Returns false for paths it does not own.
 */
export function createApiHandler(context: ApiContext): (request: IncomingMessage, response: ServerResponse) => boolean {
  const { store, configuration, logger } = context
  const authorized = createTokenCheck(context.apiToken)
  const adapt = async (job: AdaptJob): Promise<string> => {
    const pool = context.adaptPool
    if (pool !== undefined && pool.queued >= MAX_QUEUED_ADAPTS) {
      throw new ApiError(`the server is adapting ${MAX_QUEUED_ADAPTS} emails already; try again in a moment`, { status: 503, reason: 'unavailable' })
    }
    if (adaptWorkChannel.hasSubscribers) adaptWorkChannel.publish({ phase: 'start' })
    try {
      return pool === undefined ? JSON.stringify(adaptBody(job, configuration)) : await pool.run(job)
    } finally {
      if (adaptWorkChannel.hasSubscribers) adaptWorkChannel.publish({ phase: 'end' })
    }
  }

  // Keyed by the document's path templates and methods; see checkRoutes.
  const routes: Record<string, Record<string, Handler>> = {
    '/healthz': {
      GET: async ({ response }) => {
        try {
          await store.check()
          sendJson(response, 200, { status: 'ok' })
        } catch (error) {
          logger.error({ err: error }, 'health check failed')
          sendJson(response, 503, { status: 'unavailable' })
        }
      },
    },
    '/api/v1/openapi.json': {
      GET: async ({ response }) => {
        sendJson(response, 200, OPENAPI_DOCUMENT, { 'cache-control': 'no-cache' })
      },
    },
    '/api/v1/links/open': {
      POST: async ({ body, response }) => {
        const url = getOpenTrackingUrl(metadataOf(body), { configuration })
        sendJson(response, 201, { url })
      },
    },
    '/api/v1/links/click': {
      POST: async ({ body, response }) => {
        const url = getClickTrackingUrl(body.url as string, metadataOf(body), { configuration })
        sendJson(response, 201, { url })
      },
    },
    // In the adapt worker when the server has one (startServer), so tracking never waits behind it.
    '/api/v1/adapt': {
      POST: async ({ body, response }) => {
        checkAdaptSize(body.html as string, 'html')
        sendJsonText(response, 200, await adapt({ kind: 'html', body }))
      },
    },
    '/api/v1/adapt-text': {
      POST: async ({ body, response }) => {
        checkAdaptSize(body.text as string, 'text')
        sendJsonText(response, 200, await adapt({ kind: 'text', body }))
      },
    },
    '/api/v1/adapt/batch': {
      POST: ({ request, response }) =>
        serveBatch(request, response, (body) => adaptOptions(body, configuration), (error) => toApiError(error, logger)),
    },
    '/api/v1/events': {
      GET: async ({ params, response }) => {
        if (params.latest !== undefined) {
          if (params.cursor !== undefined || params.kind !== undefined) throw new ApiError('latest takes no cursor or kind: it answers the newest events and the cursor to poll after them', { status: 400, reason: 'invalid_request' })
          const events = await newestEvents(store, params.latest as number)
          sendJson(response, 200, { events, nextCursor: encodeCursor(events.at(-1)?.id ?? 0), hasMore: false })
          return
        }
        const after = decodeCursor(params.cursor as string | undefined)
        const page = await store.listEvents({ after, limit: pageLimit(params.limit as number | undefined), kind: params.kind as 'open' | 'click' | undefined })
        sendJson(response, 200, { events: page.items, nextCursor: encodeCursor(page.items.at(-1)?.id ?? after), hasMore: page.hasMore })
      },
    },
    '/api/v1/stats': {
      GET: async ({ params, response }) => {
        sendJson(response, 200, await store.stats({ groupBy: groupKey(params.groupBy as string | undefined) }))
      },
    },
    '/api/v1/stats/timeseries': {
      GET: async ({ params, response }) => {
        const range = rangeOf(params, Date.now() - 7 * DAY)
        const interval = (params.interval as TimeseriesInterval | undefined) ?? (range.to - range.from <= 14 * DAY ? 'hour' : 'day')
        const buckets = (range.to - range.from) / (interval === 'hour' ? HOUR : DAY)
        if (buckets > MAX_BUCKETS) {
          throw new ApiError(`the range holds ${Math.ceil(buckets)} ${interval}s, over the limit of ${MAX_BUCKETS}: choose a shorter range or interval=day`, { status: 400, reason: 'invalid_request' })
        }
        const series = await store.timeseries({ ...range, interval })
        sendJson(response, 200, { groupBy: range.groupBy ?? null, value: range.value ?? null, ...series })
      },
    },
    '/api/v1/stats/destinations': {
      GET: async ({ params, response }) => {
        const range = rangeOf(params, 0)
        const destinations = await store.topDestinations({ ...range, limit: params.limit as number | undefined })
        sendJson(response, 200, { groupBy: range.groupBy ?? null, value: range.value ?? null, from: range.from, to: range.to, destinations })
      },
    },
    '/api/v1/stats/values': {
      GET: async ({ params, response }) => {
        const { groupBy: key, ...range } = params
        const { from, to } = rangeOf(range, 0)
        const groupBy = groupKey(key as string) ?? ''
        const values = await store.topValues({ groupBy, from, to, limit: params.limit as number | undefined })
        sendJson(response, 200, { groupBy, from, to, values })
      },
    },
    '/api/v1/privacy/export': {
      POST: async ({ body, response }) => {
        const subject = subjectOf(body)
        // Paged from the store (1,000 a query); one recipient's events are few enough to answer at once.
        const events: TrackingEvent[] = []
        let after = 0
        for (;;) {
          const page = await store.listEvents({ subject, after, limit: 1000 })
          events.push(...page.items)
          after = page.items.at(-1)?.id ?? after
          if (!page.hasMore) break
        }
        logger.info({ by: subjectKind(subject), events: events.length }, 'privacy export')
        sendJson(response, 200, { events, count: events.length })
      },
    },
    '/api/v1/privacy/erase': {
      POST: async ({ body, response }) => {
        const subject = subjectOf(body)
        const erased = await store.eraseEvents(subject)
        // The erasure is logged, never whose data it was.
        logger.info({ by: subjectKind(subject), ...erased }, 'privacy erasure')
        sendJson(response, 200, erased)
      },
    },
    '/api/v1/webhooks/deliveries': {
      GET: async ({ params, response }) => {
        const after = decodeCursor(params.cursor as string | undefined)
        const page = await store.listOutbox({ after, limit: pageLimit(params.limit as number | undefined), status: params.status as OutboxStatus | undefined })
        sendJson(response, 200, { deliveries: page.items.map(publicDelivery), nextCursor: encodeCursor(page.items.at(-1)?.id ?? after), hasMore: page.hasMore })
      },
    },
    '/api/v1/webhooks/deliveries/{id}/retry': {
      POST: async ({ params, response }) => {
        const requeued = await store.retryOutbox(params.id as number)
        if (!requeued) throw new ApiError('no failed delivery has this id', { status: 404, reason: 'not_found' })
        context.wakeDispatcher()
        sendJson(response, 202, { status: 'pending' })
      },
    },
  }
  checkRoutes(routes)

  async function serve(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    // The methods of the path, for the Allow header every 405 must carry (RFC 9110, 15.5.6).
    let allow = ''
    try {
      const found = findPath(url.pathname)
      const operations = [...(found?.operations.values() ?? [])]
      const isPublic = operations.length > 0 && operations.every((operation) => !operation.secured)
      if (!isPublic && !authorized(request.headers.authorization)) {
        throw new ApiError('send the API token as Authorization: Bearer <PYTRACK_API_TOKEN>', { status: 401, reason: 'unauthorized' })
      }
      if (found === undefined) throw new ApiError(`no API endpoint at ${url.pathname}`, { status: 404, reason: 'not_found' })
      // HEAD is GET without the body (node:http leaves it out).
      const method = request.method === 'HEAD' ? 'GET' : (request.method ?? '')
      const operation = found.operations.get(method)
      const handler = operation === undefined ? undefined : routes[operation.path]?.[method]
      if (operation === undefined || handler === undefined) {
        allow = [...found.operations.keys()].flatMap((name) => (name === 'GET' ? ['GET', 'HEAD'] : [name])).join(', ')
        throw new ApiError(`${url.pathname} answers ${allow}`, { status: 405, reason: 'method_not_allowed' })
      }
      const { values: params, problem } = readParameters(operation, url, found.params)
      if (problem !== null) throw new ApiError(problem, { status: 400, reason: 'invalid_request' })
      let body: Record<string, unknown> = {}
      if (operation.spec.requestBody === undefined) {
        request.resume()
      } else if (!takesJsonLines(operation)) {
        body = await readJsonBody(request, response, BODY_LIMITS[operation.path] ?? BODY_LIMIT)
        const bodyProblem = checkBody(operation, body)
        if (bodyProblem !== null) throw new ApiError(bodyProblem, { status: 400, reason: 'invalid_request' })
      }
      await handler({ request, response, body, params })
    } catch (error) {
      const apiError = toApiError(error, logger)
      const headers: Record<string, string> = {}
      if (apiError.status === 401) headers['www-authenticate'] = 'Bearer'
      if (apiError.status === 405) headers.allow = allow
      // An unread (refused) body would otherwise keep the connection busy.
      if (!request.complete) headers.connection = 'close'
      sendError(response, apiError, headers)
    }
  }

  return (request, response) => {
    const path = (request.url ?? '/').split('?', 1)[0] ?? '/'
    if (path !== '/healthz' && path !== '/api' && !path.startsWith('/api/')) return false
    let url: URL
    try {
      url = new URL(request.url ?? '/', 'http://localhost')
    } catch {
      sendError(response, new ApiError('the request URL is malformed', { status: 400, reason: 'invalid_request' }))
      return true
    }
    void serve(request, response, url)
    return true
  }
}

/** Every handler has its operation in the OpenAPI document and every operation its handler: else the server does not start. */
function checkRoutes(routes: Record<string, Record<string, Handler>>): void {
  const documented = new Set(documentedOperations().map((operation) => `${operation.method} ${operation.path}`))
  const handled = new Set(Object.entries(routes).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method} ${path}`)))
  for (const route of handled) {
    if (!documented.has(route)) throw new Error(`${route} has a handler but no operation in the OpenAPI document: add it to src/_internal/openapi.ts`)
  }
  for (const route of documented) {
    if (!handled.has(route)) throw new Error(`${route} is in the OpenAPI document but has no handler in src/_internal/api.ts`)
  }
}
