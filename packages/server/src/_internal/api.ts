import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  getClickTrackingUrl,
  getOpenTrackingUrl,
  isPytrackError,
  type Configuration,
  type Metadata,
} from '@pytrack/core'
import { adaptHtml, adaptText, type AdaptHtmlOptions } from '@pytrack/html'
import type { Logger } from 'pino'
import { ApiError } from '../errors/api-error'
import type { EventStore, OutboxItem, OutboxStatus } from '../store/event-store'
import { decodeCursor, encodeCursor, groupKey, pageLimit } from './cursor'
import { createTokenCheck, readJsonBody, sendError, sendJson } from './http-io'

/** Body limits: an HTML email may be large, everything else is small. */
const ADAPT_BODY_LIMIT: number = 1024 * 1024
const BODY_LIMIT: number = 64 * 1024

export interface ApiContext {
  store: EventStore
  configuration: Configuration
  apiToken: string | null
  logger: Logger
  /** Called after a failed delivery is put back in the queue. */
  wakeDispatcher: () => void
}

type Handler = (request: IncomingMessage, url: URL, response: ServerResponse) => Promise<unknown>

function metadataOf(body: Record<string, unknown>): Metadata | null {
  const metadata = body.metadata
  if (metadata === undefined || metadata === null) return null
  if (typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw new ApiError(400, 'invalid_request', 'metadata must be a JSON object such as {"message_id": "m-1"}')
  }
  return metadata as Metadata
}

function string(body: Record<string, unknown>, key: string): string {
  const value = body[key]
  if (typeof value !== 'string') throw new ApiError(400, 'invalid_request', `${key} must be a string`)
  return value
}

function optionalBoolean(body: Record<string, unknown>, key: string): boolean | undefined {
  const value = body[key]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'boolean') throw new ApiError(400, 'invalid_request', `${key} must be true or false`)
  return value
}

function destinationOf(body: Record<string, unknown>): string {
  const url = string(body, 'url')
  // new URL() would quietly drop these; the link must carry exactly what was checked.
  if (/[\u0000-\u001f\u007f]/.test(url)) {
    throw new ApiError(400, 'invalid_request', 'url must not contain control characters (tab, CR, LF and the like)')
  }
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new ApiError(400, 'invalid_request', 'url must be an absolute http(s) URL such as https://example.com/sale')
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ApiError(400, 'invalid_request', `url must use http or https, not ${parsed.protocol}`)
  }
  return url
}

function queryInt(url: URL, key: string): number | undefined {
  const value = url.searchParams.get(key)
  if (value === null) return undefined
  if (!/^\d{1,6}$/.test(value)) throw new ApiError(400, 'invalid_request', `${key} must be a whole number`)
  return Number(value)
}

function queryString(url: URL, key: string): string | undefined {
  return url.searchParams.get(key) ?? undefined
}

function adaptOptions(body: Record<string, unknown>, configuration: Configuration): AdaptHtmlOptions {
  const options: AdaptHtmlOptions = { configuration }
  const clickTracking = optionalBoolean(body, 'clickTracking')
  const openTracking = optionalBoolean(body, 'openTracking')
  const linkMetadata = optionalBoolean(body, 'linkMetadata')
  if (clickTracking !== undefined) options.clickTracking = clickTracking
  if (openTracking !== undefined) options.openTracking = openTracking
  if (linkMetadata !== undefined) options.linkMetadata = linkMetadata
  const position = body.pixelPosition
  if (position !== undefined && position !== null) {
    if (position !== 'top' && position !== 'bottom') {
      throw new ApiError(400, 'invalid_request', 'pixelPosition must be "top" or "bottom"')
    }
    options.pixelPosition = position
  }
  for (const key of ['allowDomains', 'denyDomains'] as const) {
    const value = body[key]
    if (value === undefined || value === null) continue
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
      throw new ApiError(400, 'invalid_request', `${key} must be a list of host names`)
    }
    options[key] = value as string[]
  }
  return options
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

const OUTBOX_STATUSES = new Set<string>(['pending', 'delivering', 'delivered', 'failed'])

/** Turns any error into the API's answer; only unknown errors are logged (never the request body). */
function toApiError(error: unknown, logger: Logger): ApiError {
  if (error instanceof ApiError) return error
  if (isPytrackError(error)) {
    switch (error.code) {
      case 'ERR_PYTRACK_METADATA':
        return new ApiError(400, 'invalid_metadata', error.message)
      case 'ERR_PYTRACK_LINK_TOO_LONG':
        return new ApiError(400, 'link_too_long', error.message)
      case 'ERR_PYTRACK_INVALID_LINK':
        return new ApiError(400, 'invalid_link', error.message)
      case 'ERR_PYTRACK_INVALID_ARGUMENT':
      case 'ERR_PYTRACK_CONFIGURATION':
      case 'ERR_PYTRACK_HTML':
        return new ApiError(400, 'invalid_request', error.message)
      case 'ERR_PYTRACK_STORE':
        logger.error({ err: error }, 'event store failed')
        return new ApiError(503, 'unavailable', 'the event store is not available; try again later')
      default:
        break
    }
  }
  logger.error({ err: error }, 'API request failed')
  return new ApiError(500, 'internal', 'the server failed to answer; see its logs')
}

/**
 * The HTTP API: `/healthz` and `/api/v1/...`, on node:http. Every answer is JSON; errors are
 * `{"error":{"code","message"}}` with a 4xx/5xx status. Returns false for paths it does not own.
 */
export function createApiHandler(context: ApiContext): (request: IncomingMessage, response: ServerResponse) => boolean {
  const { store, configuration, logger } = context
  const authorized = createTokenCheck(context.apiToken)

  const routes: Record<string, Record<string, Handler>> = {
    '/api/v1/links/open': {
      POST: async (request, _url, response) => {
        const body = await readJsonBody(request, BODY_LIMIT)
        const url = getOpenTrackingUrl(metadataOf(body), { configuration })
        sendJson(response, 201, { url })
      },
    },
    '/api/v1/links/click': {
      POST: async (request, _url, response) => {
        const body = await readJsonBody(request, BODY_LIMIT)
        const url = getClickTrackingUrl(destinationOf(body), metadataOf(body), { configuration })
        sendJson(response, 201, { url })
      },
    },
    '/api/v1/adapt': {
      POST: async (request, _url, response) => {
        const body = await readJsonBody(request, ADAPT_BODY_LIMIT)
        const result = adaptHtml(string(body, 'html'), metadataOf(body), adaptOptions(body, configuration))
        sendJson(response, 200, {
          html: result.html,
          links: result.links.map((link) => ({ url: link.url, trackingUrl: link.trackingUrl })),
          pixelUrl: result.pixel?.url ?? null,
          warnings: result.warnings,
        })
      },
    },
    '/api/v1/adapt-text': {
      POST: async (request, _url, response) => {
        const body = await readJsonBody(request, ADAPT_BODY_LIMIT)
        if (body.openTracking !== undefined || body.pixelPosition !== undefined) {
          throw new ApiError(400, 'invalid_request', 'a text part has no pixel: openTracking and pixelPosition are for /api/v1/adapt')
        }
        const result = adaptText(string(body, 'text'), metadataOf(body), adaptOptions(body, configuration))
        sendJson(response, 200, {
          text: result.text,
          links: result.links.map((link) => ({ url: link.url, trackingUrl: link.trackingUrl })),
          warnings: result.warnings,
        })
      },
    },
    '/api/v1/events': {
      GET: async (_request, url, response) => {
        const kind = queryString(url, 'kind')
        if (kind !== undefined && kind !== 'open' && kind !== 'click') {
          throw new ApiError(400, 'invalid_request', 'kind must be open or click')
        }
        const after = decodeCursor(queryString(url, 'cursor'))
        const page = await store.listEvents({ after, limit: pageLimit(queryInt(url, 'limit')), kind })
        sendJson(response, 200, { events: page.items, nextCursor: encodeCursor(page.items.at(-1)?.id ?? after), hasMore: page.hasMore })
      },
    },
    '/api/v1/stats': {
      GET: async (_request, url, response) => {
        sendJson(response, 200, await store.stats({ groupBy: groupKey(queryString(url, 'groupBy')) }))
      },
    },
    '/api/v1/webhooks/deliveries': {
      GET: async (_request, url, response) => {
        const status = queryString(url, 'status')
        if (status !== undefined && !OUTBOX_STATUSES.has(status)) {
          throw new ApiError(400, 'invalid_request', 'status must be pending, delivering, delivered or failed')
        }
        const after = decodeCursor(queryString(url, 'cursor'))
        const page = await store.listOutbox({ after, limit: pageLimit(queryInt(url, 'limit')), status: status as OutboxStatus | undefined })
        sendJson(response, 200, { deliveries: page.items.map(publicDelivery), nextCursor: encodeCursor(page.items.at(-1)?.id ?? after), hasMore: page.hasMore })
      },
    },
  }

  const retryRoute = /^\/api\/v1\/webhooks\/deliveries\/(\d{1,15})\/retry$/

  async function serve(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    // The methods of the path, for the Allow header every 405 must carry (RFC 9110, 15.5.6).
    let allow = 'GET, HEAD'
    try {
      if (url.pathname === '/healthz') {
        if (request.method !== 'GET' && request.method !== 'HEAD') {
          throw new ApiError(405, 'method_not_allowed', '/healthz answers GET')
        }
        try {
          await store.check()
          sendJson(response, 200, { status: 'ok' })
        } catch (error) {
          logger.error({ err: error }, 'health check failed')
          sendJson(response, 503, { status: 'unavailable' })
        }
        return
      }
      if (!authorized(request.headers.authorization)) {
        throw new ApiError(401, 'unauthorized', 'send the API token as Authorization: Bearer <PYTRACK_API_TOKEN>')
      }
      const retry = retryRoute.exec(url.pathname)
      if (retry) {
        if (request.method !== 'POST') {
          allow = 'POST'
          throw new ApiError(405, 'method_not_allowed', `${url.pathname} answers POST`)
        }
        request.resume()
        const requeued = await store.retryOutbox(Number(retry[1]))
        if (!requeued) throw new ApiError(404, 'not_found', 'no failed delivery has this id')
        context.wakeDispatcher()
        sendJson(response, 202, { status: 'pending' })
        return
      }
      const route = routes[url.pathname]
      if (route === undefined) throw new ApiError(404, 'not_found', `no API endpoint at ${url.pathname}`)
      // HEAD is GET without the body (node:http leaves it out).
      const handler = route[request.method ?? ''] ?? (request.method === 'HEAD' ? route.GET : undefined)
      if (handler === undefined) {
        allow = route.GET ? 'GET, HEAD' : Object.keys(route).join(', ')
        throw new ApiError(405, 'method_not_allowed', `${url.pathname} answers ${allow}`)
      }
      await handler(request, url, response)
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
      sendError(response, new ApiError(400, 'invalid_request', 'the request URL is malformed'))
      return true
    }
    void serve(request, response, url)
    return true
  }
}
