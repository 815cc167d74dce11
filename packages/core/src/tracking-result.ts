import type { JsonValue } from './configuration'
import { InvalidArgumentError } from './errors/invalid-argument-error'

/**
 * What is known about the client behind a tracking request, in pytracking's snake_case:
 * `user_agent` and `user_ip`, plus whatever else a handler adds.
 *
 * @example
 * ```ts
 * const requestData: RequestData = { user_agent: request.headers['user-agent'] ?? null, user_ip: '203.0.113.7' }
 * ```
 */
export interface RequestData {
  /** The client's `User-Agent` header; null when it sent none. */
  user_agent?: string | null
  /** The client's IP address, as the handler determined it; null when unknown. */
  user_ip?: string | null
  [key: string]: JsonValue | undefined
}

/**
 * The fields of a {@link TrackingResult}.
 *
 * @example
 * ```ts
 * const init: TrackingResultInit = { isOpenTracking: true, isClickTracking: false, metadata: { customer_id: 1 } }
 * new TrackingResult(init)
 * ```
 */
export interface TrackingResultInit {
  /** True for an open (the tracking pixel was fetched). */
  isOpenTracking: boolean
  /** True for a click (the tracking link was followed). */
  isClickTracking: boolean
  /** The destination of a click link. Default: null. */
  trackedUrl?: string | null
  /** The webhook to notify of the event. Default: null. */
  webhookUrl?: string | null
  /** The link's metadata. Default: `{}`. */
  metadata?: Record<string, JsonValue>
  /** What is known about the client (pytracking's `request_data`). Default: null. */
  requestData?: RequestData | null
  /** When the event happened, in seconds since the epoch. Default: now, in whole seconds. */
  timestamp?: number | undefined
}

/**
 * The JSON pytracking posts to a webhook for a result (`send_webhook`'s payload).
 *
 * @example
 * ```ts
 * const payload: TrackingResultJson = result.toJSON()
 * payload.is_click_tracking // true for a click
 * ```
 */
export interface TrackingResultJson {
  /** True for an open (the tracking pixel was fetched). */
  is_open_tracking: boolean
  /** True for a click (the tracking link was followed). */
  is_click_tracking: boolean
  /** The link's metadata, with the default metadata added when it was not sealed in. */
  metadata: Record<string, JsonValue>
  /** What is known about the client (`user_agent`, `user_ip`...); null when nothing is. */
  request_data: RequestData | null
  /** When the link was decoded, in whole seconds since the epoch (UTC). */
  timestamp: number
  /** The destination of a click link; left out when there is none (opens). */
  tracked_url?: string
}

// On the prototype, under a registered symbol: shared by every copy of the package, free per instance.
const TRACKING_RESULT_BRAND = Symbol.for('@pytrack/core/tracking-result')

/**
 * A decoded open or click: what the link carried and who asked. pytracking's `TrackingResult`.
 *
 * @example
 * ```ts
 * const result = getClickTrackingResult(request.url, { configuration, requestData: { user_ip: ip } })
 * if (result.trackedUrl) redirect(result.trackedUrl)
 * JSON.stringify(result) // pytracking's webhook payload
 * ```
 */
export class TrackingResult {
  // `declare`: assigned once in the constructor, without define-then-assign class fields.
  /** True for an open (the tracking pixel was fetched), pytracking's `is_open_tracking`. */
  declare readonly isOpenTracking: boolean
  /** True for a click (the tracking link was followed), pytracking's `is_click_tracking`. */
  declare readonly isClickTracking: boolean
  /** The destination of a click link; null for opens. */
  declare readonly trackedUrl: string | null
  /** The webhook to notify: from the link when `includeWebhookUrl`, else the configuration's. */
  declare readonly webhookUrl: string | null
  /** The link's metadata, with the default metadata added when it was not sealed in. */
  declare readonly metadata: Record<string, JsonValue>
  /** What is known about the client (pytracking's `request_data`); null when nothing is. */
  declare readonly requestData: RequestData | null
  /** When the link was decoded, in whole seconds since the epoch (UTC). */
  declare readonly timestamp: number

  constructor(init: TrackingResultInit) {
    if (typeof init !== 'object' || init === null) {
      throw new InvalidArgumentError('TrackingResult takes an object such as { isOpenTracking: true, isClickTracking: false, metadata }')
    }
    this.isOpenTracking = init.isOpenTracking
    this.isClickTracking = init.isClickTracking
    this.trackedUrl = init.trackedUrl ?? null
    this.webhookUrl = init.webhookUrl ?? null
    this.metadata = init.metadata ?? {}
    this.requestData = init.requestData ?? null
    this.timestamp = init.timestamp ?? Math.floor(Date.now() / 1000)
  }

  /**
   * `instanceof TrackingResult` also holds for a result made by another copy of this package
   * (its ESM and CJS builds, or two installed versions).
   *
   * @example
   * ```ts
   * resultFromAnotherCopy instanceof TrackingResult // true
   * ```
   */
  static [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TRACKING_RESULT_BRAND] === true
  }

  /**
   * pytracking's webhook payload, key for key: `is_open_tracking`, `is_click_tracking`,
   * `metadata`, `request_data`, `timestamp`, and `tracked_url` when there is one.
   *
   * @example
   * ```ts
   * result.toJSON().is_click_tracking // true
   * ```
   */
  toJSON(): TrackingResultJson {
    const json: TrackingResultJson = {
      is_open_tracking: this.isOpenTracking,
      is_click_tracking: this.isClickTracking,
      metadata: this.metadata,
      request_data: this.requestData,
      timestamp: this.timestamp,
    }
    if (this.trackedUrl) json.tracked_url = this.trackedUrl
    return json
  }

  /**
   * Reads a webhook payload (pytracking's or ours) back into a result, for receivers.
   *
   * @example
   * ```ts
   * const result = TrackingResult.fromJSON(JSON.parse(body))
   * ```
   */
  static fromJSON(json: unknown): TrackingResult {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new InvalidArgumentError('a tracking result payload must be a JSON object')
    }
    const data = json as Record<string, unknown>
    const isOpen = data.is_open_tracking
    const isClick = data.is_click_tracking
    if (typeof isOpen !== 'boolean' || typeof isClick !== 'boolean') {
      throw new InvalidArgumentError('a tracking result payload needs boolean is_open_tracking and is_click_tracking')
    }
    const optionalString = (key: string): string | null => {
      const value = data[key]
      if (value === undefined || value === null) return null
      if (typeof value !== 'string') throw new InvalidArgumentError(`${key} must be a string or null`)
      return value
    }
    const object = (key: string): Record<string, JsonValue> | null => {
      const value = data[key]
      if (value === undefined || value === null) return null
      if (typeof value !== 'object' || Array.isArray(value)) throw new InvalidArgumentError(`${key} must be an object`)
      return value as Record<string, JsonValue>
    }
    const timestamp = data.timestamp
    if (timestamp !== undefined && timestamp !== null && (typeof timestamp !== 'number' || !Number.isFinite(timestamp))) {
      throw new InvalidArgumentError('timestamp must be a number of seconds')
    }
    return new TrackingResult({
      isOpenTracking: isOpen,
      isClickTracking: isClick,
      trackedUrl: optionalString('tracked_url'),
      webhookUrl: optionalString('webhook_url'),
      metadata: object('metadata') ?? {},
      requestData: object('request_data') as RequestData | null,
      ...(typeof timestamp === 'number' ? { timestamp } : {}),
    })
  }
}

Object.defineProperty(TrackingResult.prototype, TRACKING_RESULT_BRAND, { value: true })
