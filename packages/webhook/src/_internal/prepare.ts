import { randomUUID } from 'node:crypto'
import {
  ConfigurationError,
  InvalidArgumentError,
  describeValue,
  parseHttpOrigin,
  parseHttpUrl,
  resolveConfiguration,
  toPythonJson,
  type TrackingOptions,
  type TrackingResult,
} from '@pytrack/core'
import type { Dispatcher } from 'undici'
import type { WebhookEndpoint, WebhookEvent, WebhookOptions } from '../webhook-options'
import { WebhookUrlNotAllowedError } from '../errors/webhook-url-not-allowed-error'
import type { RetryPolicy, Target } from './deliver'
import { defaultDispatcher } from './dispatcher'
import { checkWebhookId, secretKeys } from './secret'

/** The longest timeout a link's metadata may ask for: links can be forged. */
const MAX_LINK_TIMEOUT_SECONDS = 60

const DEFAULT_RETRY: { readonly attempts: number; readonly baseDelayMs: number; readonly maxDelayMs: number; readonly budgetMs: number } = Object.freeze({
  attempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
  budgetMs: 60_000,
})

// The Configuration fields a webhook option may override for one call.
const WEBHOOK_FIELDS = ['webhookUrl', 'webhookTimeoutSeconds'] as const
const EVENTS: readonly WebhookEvent[] = ['open', 'click']
const RESERVED_HEADERS = new Set([
  'content-type',
  'content-length',
  'transfer-encoding',
  'host',
  'connection',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
])

interface PreparedEndpoint {
  url: string
  parsed: URL
  events: ReadonlySet<WebhookEvent> | null
  /** Its own secret, else the options'. */
  keys: readonly Uint8Array[] | null
  timeoutMs: number | null
  /** The options' headers with its own on top. */
  headers: Readonly<Record<string, string>> | null
}

/** Options checked once, ready for many deliveries. */
export interface Prepared {
  configured: { url: string; parsed: URL } | null
  timeoutMs: number
  allow: ((url: URL) => boolean) | null
  linkTimeoutKey: string | null
  keys: readonly Uint8Array[] | null
  headers: Readonly<Record<string, string>> | null
  policy: RetryPolicy
  dispatcher: Dispatcher
  endpoints: readonly PreparedEndpoint[]
}

function plainObject(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(`${name} must be an object`)
  }
  return value as Record<string, unknown>
}

function number(value: unknown, name: string, min: number, fallback: number, integer = false): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new InvalidArgumentError(`${name} must be a finite ${integer ? 'integer' : 'number'} of at least ${min}; got ${describeValue(value)}`)
  }
  return value
}

const ENDPOINT_EXAMPLE = 'https://hooks.example.com/pytrack'

/** An endpoint's URL: core's rule for a configured URL, never repeated (its path or query is often the receiver's token). */
function endpointUrl(value: unknown, name: string): URL {
  return parseHttpUrl(value, name, { setting: 'endpoints', example: ENDPOINT_EXAMPLE, secret: true })
}

function headersOf(value: unknown, name: string): Readonly<Record<string, string>> | null {
  if (value === undefined || value === null) return null
  const object = plainObject(value, name)
  const out: Record<string, string> = {}
  for (const [key, item] of Object.entries(object)) {
    const lower = key.toLowerCase()
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(lower)) throw new InvalidArgumentError(`${name} has a header name that is not a valid HTTP token`)
    if (RESERVED_HEADERS.has(lower)) {
      throw new InvalidArgumentError(`${name} must not set ${lower}: @pytrack/webhook sets it for every delivery`)
    }
    if (typeof item !== 'string' || /[\r\n\0]/.test(item)) {
      throw new InvalidArgumentError(`${name}.${lower} must be a string without line breaks`)
    }
    out[lower] = item
  }
  return Object.keys(out).length === 0 ? null : out
}

/** `own` on top of `base`; either may be absent. */
function mergeHeaders(
  base: Readonly<Record<string, string>> | null,
  own: Readonly<Record<string, string>> | null,
): Readonly<Record<string, string>> | null {
  return base && own ? { ...base, ...own } : (own ?? base)
}

function keysOf(value: unknown, name: string): readonly Uint8Array[] | null {
  if (value === undefined || value === null) return null
  return secretKeys(value as string, name)
}

function allowOf(value: unknown): ((url: URL) => boolean) | null {
  if (value === undefined || value === null) return null
  if (typeof value === 'function') return value as (url: URL) => boolean
  if (!Array.isArray(value)) {
    throw new InvalidArgumentError('allowedWebhookOrigins must be a list of origins such as ["https://hooks.example.com"] or a function (url: URL) => boolean')
  }
  const origins = new Set<string>()
  for (const [i, item] of (value as unknown[]).entries()) {
    origins.add(parseHttpOrigin(item, `allowedWebhookOrigins[${i}]`, { setting: 'allowedWebhookOrigins', example: 'https://hooks.example.com', secret: true }))
  }
  return (url: URL): boolean => origins.has(url.origin)
}

/**
 * An endpoint's own timeout: the same mistake as a bad `webhookTimeoutSeconds` gets the same
 * error, core's ConfigurationError (a retry number has no Configuration twin: InvalidArgumentError).
 */
function endpointTimeoutMs(value: unknown, name: string): number | null {
  if (value === undefined) return null
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0.001) {
    throw new ConfigurationError(`${name} must be a finite number of at least 0.001; got ${describeValue(value)}`, { setting: 'endpoints' })
  }
  return timeoutMsOf(value)
}

function timeoutMsOf(seconds: number): number {
  return Math.max(1, Math.round(seconds * 1000))
}

/** Checks options once; throws {@link InvalidArgumentError} or {@link ConfigurationError} for what is wrong. */
export function prepare(options: WebhookOptions & { endpoints?: unknown }, withEndpoints: boolean): Prepared {
  const o = plainObject(options, 'options')
  const configuration = resolveConfiguration(o as TrackingOptions, WEBHOOK_FIELDS)
  const configuredUrl = configuration.webhookUrl
  const keys = keysOf(o.secret, 'secret')
  const headers = headersOf(o.headers, 'headers')

  let policy: RetryPolicy
  if (o.retry === false) {
    policy = { ...DEFAULT_RETRY, attempts: 1, random: Math.random }
  } else {
    const retry = o.retry === undefined ? {} : plainObject(o.retry, 'retry')
    if (retry.random !== undefined && typeof retry.random !== 'function') {
      throw new InvalidArgumentError('retry.random must be a function returning a number in [0, 1)')
    }
    policy = {
      attempts: number(retry.attempts, 'retry.attempts', 1, DEFAULT_RETRY.attempts, true),
      baseDelayMs: number(retry.baseDelayMs, 'retry.baseDelayMs', 0, DEFAULT_RETRY.baseDelayMs),
      maxDelayMs: number(retry.maxDelayMs, 'retry.maxDelayMs', 0, DEFAULT_RETRY.maxDelayMs),
      budgetMs: number(retry.budgetMs, 'retry.budgetMs', 1, DEFAULT_RETRY.budgetMs),
      random: (retry.random as (() => number) | undefined) ?? Math.random,
    }
  }

  const dispatcher = (o.dispatcher ?? defaultDispatcher()) as Dispatcher
  if (typeof (dispatcher as Partial<Dispatcher>).request !== 'function') {
    throw new InvalidArgumentError('dispatcher must be an undici Dispatcher, such as new Agent() from undici')
  }

  const linkTimeoutKey = o.linkTimeoutKey
  if (linkTimeoutKey !== undefined && (typeof linkTimeoutKey !== 'string' || linkTimeoutKey === '')) {
    throw new InvalidArgumentError('linkTimeoutKey must be the name of a metadata key, such as "webhook_timeout_seconds"')
  }

  const endpoints: PreparedEndpoint[] = []
  if (o.endpoints !== undefined) {
    if (!withEndpoints) {
      throw new InvalidArgumentError('sendWebhook posts to one webhook; use sendWebhooks (or a queue) for endpoints')
    }
    if (!Array.isArray(o.endpoints)) throw new InvalidArgumentError('endpoints must be a list of URLs or { url, events, secret, timeoutSeconds, headers }')
    for (const [i, item] of (o.endpoints as unknown[]).entries()) {
      const name = `endpoints[${i}]`
      if (typeof item === 'string') {
        endpoints.push({ url: item, parsed: endpointUrl(item, name), events: null, keys, timeoutMs: null, headers })
        continue
      }
      const endpoint = plainObject(item, name) as Partial<WebhookEndpoint>
      let events: Set<WebhookEvent> | null = null
      if (endpoint.events !== undefined) {
        if (!Array.isArray(endpoint.events) || endpoint.events.some((e) => !EVENTS.includes(e))) {
          throw new InvalidArgumentError(`${name}.events must be a list of "open" and/or "click"`)
        }
        events = new Set(endpoint.events)
      }
      endpoints.push({
        url: endpoint.url as string,
        parsed: endpointUrl(endpoint.url, `${name}.url`),
        events,
        keys: endpoint.secret === undefined ? keys : keysOf(endpoint.secret, `${name}.secret`),
        timeoutMs: endpointTimeoutMs(endpoint.timeoutSeconds, `${name}.timeoutSeconds`),
        headers: mergeHeaders(headers, headersOf(endpoint.headers, `${name}.headers`)),
      })
    }
  }

  return {
    configured: configuredUrl === null ? null : { url: configuredUrl, parsed: new URL(configuredUrl) },
    timeoutMs: timeoutMsOf(configuration.webhookTimeoutSeconds),
    allow: allowOf(o.allowedWebhookOrigins),
    linkTimeoutKey: (linkTimeoutKey as string | undefined) ?? null,
    keys,
    headers,
    policy,
    dispatcher,
    endpoints,
  }
}

/** Percent-decodes userinfo as Python's `unquote` does: a malformed escape stays as written instead of throwing. */
function unquote(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

function target(
  url: string,
  parsed: URL,
  keys: readonly Uint8Array[] | null,
  timeoutMs: number,
  headers: Readonly<Record<string, string>> | null,
): Target {
  let all = headers
  // A webhook URL with user:password@ gets Basic authentication, as requests would send.
  if (parsed.username !== '' && !all?.authorization) {
    const credentials = `${unquote(parsed.username)}:${unquote(parsed.password)}`
    all = { ...all, authorization: `Basic ${Buffer.from(credentials).toString('base64')}` }
  }
  return {
    url,
    origin: parsed.origin,
    path: parsed.pathname + parsed.search,
    keys,
    timeoutMs,
    headers: all,
  }
}

/** The tracking result's own timeout (pytracking TODO 5), when `linkTimeoutKey` names a usable number. */
function linkTimeoutMs(result: TrackingResult, prepared: Prepared): number | null {
  if (prepared.linkTimeoutKey === null) return null
  const value = result.metadata[prepared.linkTimeoutKey]
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) return null
  return timeoutMsOf(Math.min(value, MAX_LINK_TIMEOUT_SECONDS))
}

/** The link's webhook URL when it passes the rule a configured one does and the allow-list takes it, else null. */
function allowedLinkUrl(link: string, allow: ((url: URL) => boolean) | null): URL | null {
  if (allow === null) return null
  let url: URL
  try {
    url = parseHttpUrl(link, 'webhookUrl', { secret: true })
  } catch {
    return null
  }
  return allow(url) === true ? url : null
}

/** Where one result goes: its targets, and the link's URL when the allow-list refused it. */
export interface Routing {
  targets: Target[]
  rejectedWebhookUrl: string | null
}

/**
 * The primary webhook (the link's when allowed, else the configured one), then the endpoints
 * that take this kind of event, each URL once.
 */
export function route(result: TrackingResult, prepared: Prepared, withEndpoints: boolean): Routing {
  const linkTimeout = linkTimeoutMs(result, prepared)
  const timeoutMs = linkTimeout ?? prepared.timeoutMs
  const targets: Target[] = []
  let rejectedWebhookUrl: string | null = null
  const link = result.webhookUrl
  let primary = prepared.configured
  if (link !== null && link !== undefined && link !== '' && link !== primary?.url) {
    const parsed = allowedLinkUrl(link, prepared.allow)
    if (parsed) primary = { url: link, parsed }
    else rejectedWebhookUrl = link
  }
  if (primary) targets.push(target(primary.url, primary.parsed, prepared.keys, timeoutMs, prepared.headers))
  if (withEndpoints && prepared.endpoints.length > 0) {
    const kind: WebhookEvent | null = result.isClickTracking ? 'click' : result.isOpenTracking ? 'open' : null
    for (const endpoint of prepared.endpoints) {
      if (endpoint.events !== null && (kind === null || !endpoint.events.has(kind))) continue
      if (targets.some((t) => t.url === endpoint.url)) continue
      targets.push(target(endpoint.url, endpoint.parsed, endpoint.keys, endpoint.timeoutMs ?? timeoutMs, endpoint.headers))
    }
  }
  return { targets, rejectedWebhookUrl }
}

/** The error for a link URL that was refused with nothing to fall back to. */
export function notAllowed(): WebhookUrlNotAllowedError {
  return new WebhookUrlNotAllowedError(
    "the tracking link's webhook URL is not allowed (its origin is not in allowedWebhookOrigins, or it is not http(s)) and no webhookUrl is configured to fall back to; add the origin to allowedWebhookOrigins if you trust it",
  )
}

/** Throws when nothing at all is configured to post to: a setup mistake, not a delivery failure. */
export function requireSomewhere(result: TrackingResult, prepared: Prepared): void {
  if (prepared.configured || prepared.endpoints.length > 0) return
  if (result.webhookUrl) return
  throw new InvalidArgumentError(
    'there is no webhook to post to: set webhookUrl in the Configuration or the options, or give endpoints',
  )
}

/** pytracking's webhook body, exactly as `requests.post(json=payload)` writes it. */
export function payloadOf(result: TrackingResult): string {
  if (typeof result !== 'object' || result === null || typeof (result as Partial<TrackingResult>).toJSON !== 'function') {
    throw new InvalidArgumentError('result must be a TrackingResult, as getOpenTrackingResult or getClickTrackingResult return')
  }
  return toPythonJson(result.toJSON())
}

/** The caller's `webhook-id`, checked, or a fresh one. */
export function webhookIdOf(given: string | undefined): string {
  return given === undefined ? `msg_${randomUUID().replaceAll('-', '')}` : checkWebhookId(given, 'webhookId')
}
