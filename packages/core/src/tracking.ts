import { checkClickDestination } from './click-destination'
import type { InvalidDestinationError } from './errors/invalid-destination-error'
import type { Codec } from './codec'
import { CONFIGURATION_FIELDS, Configuration, isConfiguration, type ConfigurationInit, type JsonValue, type Metadata } from './configuration'
import { ConfigurationError } from './errors/configuration-error'
import { InvalidArgumentError } from './errors/invalid-argument-error'
import { InvalidLinkError } from './errors/invalid-link-error'
import { describeValue } from './option-rules'
import { LinkTooLongError } from './errors/link-too-long-error'
import { MetadataError } from './errors/metadata-error'
import { isPytrackError } from './errors/pytrack-error'
import { TrackingResult, type RequestData } from './tracking-result'
import { pythonJsonString, readError, toPythonJsonFrom } from './_internal/python-json'

/**
 * The last argument of every function: a {@link Configuration} and/or any of its fields,
 * the fields overriding the configuration for this call (pytracking's kwargs).
 *
 * @example
 * ```ts
 * const options: TrackingOptions = { configuration, appendSlash: true } // this call only
 * ```
 */
export interface TrackingOptions extends ConfigurationInit {
  /** The configuration to use; the fields given next to it override it. Default: `new Configuration()`. */
  configuration?: Configuration | undefined
}

/**
 * Options of the decoding functions: {@link TrackingOptions} plus what the request tells.
 *
 * @example
 * ```ts
 * const options: DecodeOptions = { configuration, requestData: { user_agent: ua, user_ip: ip } }
 * ```
 */
export interface DecodeOptions extends TrackingOptions {
  /** What is known about the client (pytracking's `request_data`). */
  requestData?: RequestData | null | undefined
  /** The time of the event in seconds since the epoch. Default: now. */
  timestamp?: number | undefined
}

const DEFAULT_CONFIGURATION = new Configuration()

// The fields each caller's list allows, made once per list (webhook's prepare() runs per delivery).
const FIELD_SETS = new WeakMap<readonly string[], ReadonlySet<string>>([[CONFIGURATION_FIELDS, new Set(CONFIGURATION_FIELDS)]])

function fieldSet(fields: readonly string[]): ReadonlySet<string> {
  let set = FIELD_SETS.get(fields)
  if (set === undefined) FIELD_SETS.set(fields, (set = new Set(fields)))
  return set
}

/**
 * The configuration of one call, as every pytrack function that takes {@link TrackingOptions}
 * works it out: `options.configuration` (default `new Configuration()`) with the fields given next
 * to it (pytracking's kwargs) put on top by {@link Configuration.with}, so a wrong field throws
 * the same {@link ConfigurationError} as in `new Configuration()`. `fields` limits which fields
 * may override (a webhook only takes `webhookUrl` and `webhookTimeoutSeconds`); other keys of
 * `options` are the caller's own options and are not read. Options that are not an object, a
 * `configuration` that is not a {@link Configuration}, or a getter that throws give an
 * {@link InvalidArgumentError}.
 *
 * @example
 * ```ts
 * import { Configuration, resolveConfiguration } from '@pytrack/core'
 *
 * const configuration = new Configuration({ baseClickTrackingUrl: 'https://t.example.com/c/' })
 * resolveConfiguration({ configuration, appendSlash: true }).appendSlash // true, for this call only
 * resolveConfiguration({ configuration, webhookUrl: 'https://hooks.example.com/t' }, ['webhookUrl']).webhookUrl // 'https://hooks.example.com/t'
 * ```
 */
export function resolveConfiguration(
  options: TrackingOptions | null | undefined,
  fields: readonly (keyof ConfigurationInit)[] = CONFIGURATION_FIELDS,
): Configuration {
  if (options === undefined || options === null) return DEFAULT_CONFIGURATION
  if (typeof options !== 'object') {
    throw new InvalidArgumentError('options must be an object such as { configuration }')
  }
  const allowed = fieldSet(fields)
  let base: unknown
  let overrides: Record<string, unknown> | undefined
  try {
    base = options.configuration ?? DEFAULT_CONFIGURATION
    // for...in finds the keys given without a read of each field (the hot path has none).
    for (const key in options) {
      if (!allowed.has(key)) continue
      const value = (options as Record<string, unknown>)[key]
      if (value !== undefined) (overrides ??= {})[key] = value
    }
  } catch (error) {
    throw new InvalidArgumentError('options could not be read: a getter or a Proxy trap threw (see the cause)', { cause: error })
  }
  if (!isConfiguration(base)) {
    throw new InvalidArgumentError('options.configuration must be a Configuration (new Configuration({...}))')
  }
  return overrides === undefined ? base : base.with(overrides as ConfigurationInit)
}

function metadataJson(configuration: Configuration, metadata: Metadata | null | undefined): string | undefined {
  try {
    return mergedMetadataJson(configuration, metadata)
  } catch (error) {
    throw readError(error, 'metadata')
  }
}

function mergedMetadataJson(configuration: Configuration, metadata: Metadata | null | undefined): string | undefined {
  if (metadata !== undefined && metadata !== null) {
    const proto = typeof metadata === 'object' ? (Object.getPrototypeOf(metadata) as unknown) : undefined
    if (typeof metadata !== 'object' || (proto !== Object.prototype && proto !== null)) {
      throw new MetadataError(
        `metadata must be a plain object of JSON values, not ${Array.isArray(metadata) ? 'an array' : typeof metadata === 'object' ? 'a class instance' : typeof metadata}`,
        { path: 'metadata' },
      )
    }
  }
  let merged: Record<string, unknown> | null | undefined = metadata
  const defaults = configuration.defaultMetadata
  if (configuration.includeDefaultMetadata && defaults) {
    // Python's dict.update: default keys first, overridden values keep their position.
    merged = metadata ? { ...defaults, ...metadata } : defaults
  }
  if (!merged) return undefined
  const json = toPythonJsonFrom(merged, 'metadata')
  return json === '{}' ? undefined : json
}

function seal(codec: Codec, payload: string): string {
  let token: unknown
  try {
    token = codec.seal(payload)
  } catch (error) {
    if (isPytrackError(error)) throw error
    throw new ConfigurationError(`the ${codec.name} codec could not seal the tracking link (see the cause)`, { cause: error, setting: 'codec' })
  }
  if (typeof token !== 'string' || token === '') {
    throw new ConfigurationError(`the ${codec.name} codec's seal() returned ${token === '' ? 'an empty string' : typeof token}, not a token`, {
      setting: 'codec',
    })
  }
  return token
}

function buildLink(
  kind: 'open' | 'click',
  configuration: Configuration,
  urlToTrack: string | null,
  metadata: Metadata | null | undefined,
): string {
  const base = kind === 'open' ? configuration.baseOpenTrackingUrl : configuration.baseClickTrackingUrl
  if (base === null) {
    const field = kind === 'open' ? 'baseOpenTrackingUrl' : 'baseClickTrackingUrl'
    throw new ConfigurationError(
      `${field} is not set: give it in the Configuration or the options, e.g. { ${field}: 'https://track.example.com/${kind}/' }`,
      { setting: field },
    )
  }
  // The payload's keys in pytracking's order: url, metadata, webhook.
  let payload = '{'
  if (urlToTrack) payload += `"url": ${pythonJsonString(urlToTrack)}`
  const meta = metadataJson(configuration, metadata)
  if (meta !== undefined) payload += payload.length > 1 ? `, "metadata": ${meta}` : `"metadata": ${meta}`
  if (configuration.includeWebhookUrl && configuration.webhookUrl) {
    const webhook = pythonJsonString(configuration.webhookUrl)
    payload += payload.length > 1 ? `, "webhook": ${webhook}` : `"webhook": ${webhook}`
  }
  payload += '}'
  const link = base + seal(configuration.codec, payload) + (configuration.appendSlash ? '/' : '')
  if (link.length > configuration.maxLinkLength) {
    throw new LinkTooLongError(
      `the ${kind} tracking link would be ${link.length} characters, over maxLinkLength (${configuration.maxLinkLength}); seal less metadata or raise maxLinkLength`,
      { length: link.length, maxLength: configuration.maxLinkLength },
    )
  }
  return link
}

/**
 * Makes an open tracking link (the pixel URL) carrying `metadata`. Same bytes as pytracking's
 * `get_open_tracking_url` for the same input.
 *
 * @example
 * ```ts
 * const pixelUrl = getOpenTrackingUrl({ customer_id: 1 }, { baseOpenTrackingUrl: 'https://t.example.com/open/' })
 * // https://t.example.com/open/eyJtZXRhZGF0YSI6IHsiY3VzdG9tZXJfaWQiOiAxfX0=
 * ```
 */
export function getOpenTrackingUrl(metadata?: Metadata | null, options?: TrackingOptions): string {
  const configuration = resolveConfiguration(options)
  return buildLink('open', configuration, null, metadata)
}

/**
 * Makes a click tracking link that redirects to `urlToTrack` and carries `metadata`. Same
 * bytes as pytracking's `get_click_tracking_url` for the same input. `urlToTrack` must be a
 * destination the tracking handler serves ({@link parseClickDestination}); anything else throws
 * {@link InvalidDestinationError} instead of making a dead link.
 *
 * @example
 * ```ts
 * const link = getClickTrackingUrl('https://example.com/sale', { customer_id: 1 }, { configuration })
 * ```
 */
export function getClickTrackingUrl(
  urlToTrack: string,
  metadata?: Metadata | null,
  options?: TrackingOptions,
): string {
  if (typeof urlToTrack !== 'string') {
    throw new InvalidArgumentError(`urlToTrack must be a string, not ${describeValue(urlToTrack)}`)
  }
  checkClickDestination(urlToTrack)
  const configuration = resolveConfiguration(options)
  return buildLink('click', configuration, urlToTrack, metadata)
}

const ABSOLUTE_URL = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/]*/

function tokenOf(urlOrPath: unknown, base: string | null, maxLength: number): string {
  if (typeof urlOrPath !== 'string') {
    throw new InvalidArgumentError(`the tracking link must be a string, not ${describeValue(urlOrPath)}`)
  }
  // Refuse oversized input before doing any work on it.
  if (urlOrPath.length > maxLength * 2) {
    throw new InvalidLinkError(`tracking link is ${urlOrPath.length} characters, over the limit of ${maxLength * 2}`)
  }
  // lastIndexOf(base, 0) is startsWith(base) at a fraction of the cost on Node 20 (V8 11).
  const afterBase = base !== null && urlOrPath.lastIndexOf(base, 0) === 0 ? base.length : -1
  // The usual link, `base + token` or the bare token an HTTP handler passes (plus append_slash's
  // '/'), has nothing to cut off or unescape: four searches and it is found.
  const from = afterBase === -1 ? 0 : afterBase
  let last = urlOrPath.length
  if (urlOrPath.charCodeAt(last - 1) === 0x2f) last--
  if (last > from && last - from <= maxLength) {
    const slash = urlOrPath.indexOf('/', from)
    if (
      (slash === -1 || slash === last) &&
      urlOrPath.indexOf('?', from) === -1 &&
      urlOrPath.indexOf('#', from) === -1 &&
      urlOrPath.indexOf('%', from) === -1
    ) {
      return urlOrPath.slice(from, last)
    }
  }
  // The path ends at the query or the fragment.
  let pathEnd = urlOrPath.indexOf('?')
  if (pathEnd === -1) pathEnd = urlOrPath.length
  const hash = urlOrPath.indexOf('#')
  if (hash !== -1 && hash < pathEnd) pathEnd = hash
  // The token is the last non-empty segment after the base URL (or else after a scheme and
  // authority): handles a leading '/', a route prefix and append_slash's trailing '/'.
  let end = pathEnd
  while (end > 0 && urlOrPath.charCodeAt(end - 1) === 0x2f) end--
  let start = 0
  if (afterBase !== -1) start = afterBase
  else if (urlOrPath.includes('://')) start = Math.min(ABSOLUTE_URL.exec(urlOrPath)?.[0].length ?? 0, pathEnd)
  // A forward search finds the usual case (no '/' in the token) much faster than lastIndexOf.
  const slash = urlOrPath.indexOf('/', start)
  if (slash !== -1 && slash < end) start = urlOrPath.lastIndexOf('/', end - 1) + 1
  let token = start < end ? urlOrPath.slice(start, end) : ''
  if (token.includes('%')) {
    try {
      token = decodeURIComponent(token)
    } catch {
      throw new InvalidLinkError('tracking link has a malformed percent-escape')
    }
  }
  if (token.length === 0) throw new InvalidLinkError('tracking link has no token after its base URL')
  if (token.length > maxLength) {
    throw new InvalidLinkError(`tracking link token is ${token.length} characters, over maxLinkLength (${maxLength})`)
  }
  return token
}

function isPlainJsonObject(value: unknown): value is Record<string, JsonValue> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function decodeLink(
  isOpen: boolean,
  urlOrPath: string,
  options: DecodeOptions | undefined,
): TrackingResult {
  const configuration = resolveConfiguration(options)
  const base = isOpen ? configuration.baseOpenTrackingUrl : configuration.baseClickTrackingUrl
  const token = tokenOf(urlOrPath, base, configuration.maxLinkLength)
  const codec = configuration.codec
  let payload: string
  try {
    payload = codec.open(token)
  } catch (error) {
    if (isPytrackError(error)) throw error
    throw new InvalidLinkError(`the ${codec.name} codec could not open the tracking link`, { cause: error })
  }
  let data: unknown
  try {
    data = JSON.parse(payload)
  } catch {
    throw new InvalidLinkError('tracking link payload is not valid JSON')
  }
  if (!isPlainJsonObject(data)) throw new InvalidLinkError('tracking link payload is not a JSON object')

  const sealed = data.metadata
  if (sealed !== undefined && !isPlainJsonObject(sealed)) {
    throw new InvalidLinkError('tracking link metadata is not a JSON object')
  }
  const url = data.url
  if (url !== undefined && url !== null && typeof url !== 'string') {
    throw new InvalidLinkError('tracking link url is not a string')
  }
  let webhookUrl = configuration.webhookUrl
  if (configuration.includeWebhookUrl) {
    const webhook = data.webhook
    if (webhook !== undefined && webhook !== null && typeof webhook !== 'string') {
      throw new InvalidLinkError('tracking link webhook is not a string')
    }
    webhookUrl = webhook ?? null
  }
  const defaults = configuration.defaultMetadata
  // Spread (not Object.assign) so a "__proto__" key stays an own property.
  const metadata =
    !configuration.includeDefaultMetadata && defaults ? { ...defaults, ...sealed } : sealed ?? {}
  return new TrackingResult({
    isOpenTracking: isOpen,
    isClickTracking: !isOpen,
    trackedUrl: url ?? null,
    webhookUrl,
    metadata,
    requestData: options?.requestData ?? null,
    timestamp: options?.timestamp,
  })
}

/**
 * Decodes an open tracking link (the full URL or just its path) into a {@link TrackingResult}.
 * Throws {@link InvalidLinkError} (or the codec's error) for anything it cannot decode.
 *
 * @example
 * ```ts
 * const result = getOpenTrackingResult(request.url, { configuration, requestData: { user_agent: ua } })
 * result.metadata.customer_id
 * ```
 */
export function getOpenTrackingResult(urlOrPath: string, options?: DecodeOptions): TrackingResult {
  return decodeLink(true, urlOrPath, options)
}

/**
 * Decodes a click tracking link (the full URL or just its path) into a {@link TrackingResult}
 * whose `trackedUrl` is the destination. Throws {@link InvalidLinkError} for anything it cannot decode.
 *
 * @example
 * ```ts
 * const { trackedUrl } = getClickTrackingResult('/click/eyJ1cmwiOiAiaHR0cHM6Ly9leGFtcGxlLmNvbS8ifQ==')
 * ```
 */
export function getClickTrackingResult(urlOrPath: string, options?: DecodeOptions): TrackingResult {
  return decodeLink(false, urlOrPath, options)
}

function urlPath(kind: 'open' | 'click', url: string, options: TrackingOptions | undefined): string {
  const configuration = resolveConfiguration(options)
  const base = kind === 'open' ? configuration.baseOpenTrackingUrl : configuration.baseClickTrackingUrl
  const field = kind === 'open' ? 'baseOpenTrackingUrl' : 'baseClickTrackingUrl'
  if (typeof url !== 'string') throw new InvalidArgumentError(`url must be a string, not ${describeValue(url)}`)
  if (base === null) throw new ConfigurationError(`${field} is not set, so the ${kind} link path cannot be found`, { setting: field })
  if (!url.startsWith(base)) throw new InvalidLinkError(`the URL does not start with ${field} (${base})`)
  return url.slice(base.length)
}

/**
 * The part of an open tracking link after the base URL, as pytracking's `get_open_tracking_url_path`.
 *
 * @example
 * ```ts
 * getOpenTrackingUrlPath('https://t.example.com/open/e30=', { baseOpenTrackingUrl: 'https://t.example.com/open/' }) // 'e30='
 * ```
 */
export function getOpenTrackingUrlPath(url: string, options?: TrackingOptions): string {
  return urlPath('open', url, options)
}

/**
 * The part of a click tracking link after the base URL, as pytracking's `get_click_tracking_url_path`.
 *
 * @example
 * ```ts
 * getClickTrackingUrlPath(link, { configuration }) // the token, to store or pass on
 * ```
 */
export function getClickTrackingUrlPath(url: string, options?: TrackingOptions): string {
  return urlPath('click', url, options)
}
