import { randomBytes, timingSafeEqual } from 'node:crypto'
import { InvalidArgumentError, TrackingResult, type TrackingResultJson } from '@pytrack/core'
import { WebhookVerificationError } from './errors/webhook-verification-error'
import { checkWebhookId, secretKeys, signature, signatureHeader, type WebhookSecret } from './_internal/secret'

/**
 * Request headers as Node (`IncomingHttpHeaders`), the Fetch API (`Headers`) or a plain object give them.
 *
 * @example
 * ```ts
 * const headers: WebhookHeaders = request.headers // node:http, Express, Fastify
 * const fetchHeaders: WebhookHeaders = new Request(url).headers // Hono, Workers
 * ```
 */
export type WebhookHeaders =
  | {
      /** The header's value (`name` comes in lower case), or null when absent, as `Headers.get` answers. */
      get(name: string): string | null
    }
  | Readonly<Record<string, string | readonly string[] | undefined>>

/**
 * Options of {@link verifyWebhook}.
 *
 * @example
 * ```ts
 * verifyWebhook(rawBody, request.headers, secret, { toleranceSeconds: 60 })
 * ```
 */
export interface VerifyWebhookOptions {
  /** How far `webhook-timestamp` may be from now, either way, in seconds. Default 300. */
  toleranceSeconds?: number | undefined
  /** The current time in milliseconds since the epoch, for tests. Default `Date.now()`. */
  now?: number | undefined
}

/**
 * A request whose signature {@link verifyWebhookSignature} accepted.
 *
 * @example
 * ```ts
 * const { webhookId, payload }: VerifiedWebhookSignature = verifyWebhookSignature(rawBody, request.headers, secret)
 * ```
 */
export interface VerifiedWebhookSignature {
  /** The `webhook-id`: the same for every retry of one delivery, so de-duplicate on it. */
  webhookId: string
  /** The `webhook-timestamp`, in seconds since the epoch. */
  timestamp: number
  /** The body as parsed JSON. */
  payload: unknown
}

/**
 * A request that {@link verifyWebhook} accepted.
 *
 * @example
 * ```ts
 * const { webhookId, result }: VerifiedWebhook = verifyWebhook(rawBody, request.headers, secret)
 * ```
 */
export interface VerifiedWebhook {
  /** The `webhook-id`: the same for every retry of one delivery, so de-duplicate on it. */
  webhookId: string
  /** The `webhook-timestamp`, in seconds since the epoch. */
  timestamp: number
  /** The body as parsed JSON: pytracking's payload. */
  payload: TrackingResultJson
  /** The payload read back into a {@link TrackingResult}. */
  result: TrackingResult
}

/**
 * Options of {@link signWebhook}.
 *
 * @example
 * ```ts
 * signWebhook(body, { webhookId: 'msg_1', timestamp: Math.floor(Date.now() / 1000), secret })
 * ```
 */
export interface SignWebhookOptions {
  /** The `webhook-id` to sign. */
  webhookId: string
  /** The `webhook-timestamp` to sign, in whole seconds since the epoch. */
  timestamp: number
  /** The secret, or several (one signature each). */
  secret: WebhookSecret | readonly WebhookSecret[]
}

const DEFAULT_TOLERANCE_SECONDS = 300

/** A header's value, or null when it is absent or not text (a `get` that answers undefined, a number). */
function header(headers: WebhookHeaders, name: string): string | null {
  let value: unknown
  if (typeof (headers as { get?: unknown }).get === 'function') {
    value = (headers as { get(name: string): unknown }).get(name)
  } else {
    const record = headers as Readonly<Record<string, unknown>>
    value = record[name]
    if (value === undefined) {
      for (const key of Object.keys(record)) {
        if (key.toLowerCase() === name) {
          value = record[key]
          break
        }
      }
    }
  }
  if (typeof value === 'string') return value
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
    return value.join(name === 'webhook-signature' ? ' ' : ', ')
  }
  return null
}

function required(headers: WebhookHeaders, name: string): string {
  const value = header(headers, name)
  if (value === null || value === '') {
    throw new WebhookVerificationError(
      `the request has no ${name} header: it was not sent as a signed Standard Webhooks delivery`,
      { reason: 'missing-header' },
    )
  }
  return value
}

/**
 * Checks the Standard Webhooks signature of a delivery and returns its body as parsed JSON,
 * whatever event it carries: pytracking's tracking payload, or a `reclassified` event
 * (`{"type": "reclassified", ...}`, sent by `@pytrack/server` when a verdict relabels earlier
 * events). {@link verifyWebhook} does the same and then reads a tracking payload. Same checks,
 * same errors.
 *
 * @example
 * ```ts
 * const { webhookId, payload } = verifyWebhookSignature(rawBody, request.headers, process.env.WEBHOOK_SECRET!)
 * if ((payload as { type?: string }).type === 'reclassified') await correctCounts(payload)
 * ```
 */
export function verifyWebhookSignature(
  rawBody: string | Uint8Array,
  headers: WebhookHeaders,
  secret: WebhookSecret | readonly WebhookSecret[],
  options: VerifyWebhookOptions = {},
): VerifiedWebhookSignature {
  if (typeof rawBody !== 'string' && !(rawBody instanceof Uint8Array)) {
    throw new InvalidArgumentError('rawBody must be the request body as received: a string or a Uint8Array (Buffer)')
  }
  if (typeof headers !== 'object' || headers === null) {
    throw new InvalidArgumentError('headers must be the request headers (request.headers)')
  }
  const keys = secretKeys(secret, 'secret')
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS
  if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance < 0) {
    throw new InvalidArgumentError('toleranceSeconds must be a finite number of seconds, at least 0')
  }

  const webhookId = required(headers, 'webhook-id')
  const timestampText = required(headers, 'webhook-timestamp')
  const signatures = required(headers, 'webhook-signature')
  if (!/^\d{1,12}$/.test(timestampText)) {
    throw new WebhookVerificationError('the webhook-timestamp header is not a whole number of seconds', { reason: 'invalid-timestamp' })
  }
  const timestamp = Number(timestampText)
  const now = Math.floor((options.now ?? Date.now()) / 1000)
  if (Math.abs(now - timestamp) > tolerance) {
    throw new WebhookVerificationError(
      `the webhook-timestamp is ${Math.abs(now - timestamp)} s ${timestamp < now ? 'old' : 'in the future'}, beyond the tolerance of ${tolerance} s: a replay, or a clock that is off`,
      { reason: 'timestamp-out-of-tolerance' },
    )
  }

  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody
  const given: Buffer[] = []
  for (const entry of signatures.split(' ')) {
    const comma = entry.indexOf(',')
    if (comma !== -1 && entry.slice(0, comma) === 'v1') given.push(Buffer.from(entry.slice(comma + 1), 'base64'))
  }
  let matched = false
  for (const key of keys) {
    const expected = Buffer.from(signature(key, webhookId, timestamp, body), 'base64')
    for (const candidate of given) {
      // timingSafeEqual needs equal lengths; a length mismatch tells nothing about the key.
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) matched = true
    }
  }
  if (!matched) {
    throw new WebhookVerificationError(
      'no v1 signature in webhook-signature matches the secret: check the secret, and verify the raw body bytes, not re-serialised JSON',
      { reason: 'invalid-signature' },
    )
  }

  let payload: unknown
  try {
    payload = JSON.parse(typeof rawBody === 'string' ? rawBody : Buffer.from(rawBody).toString('utf8'))
  } catch (error) {
    throw new WebhookVerificationError('the signed body is not JSON', { reason: 'invalid-payload', cause: error })
  }
  return { webhookId, timestamp, payload }
}

/**
 * Checks a signed delivery on the receiving side: the Standard Webhooks signature over
 * `{webhook-id}.{webhook-timestamp}.{raw body}` (constant-time comparison, any of several
 * secrets or signatures matching), and a timestamp within `toleranceSeconds` of now. Pass the
 * raw body bytes exactly as received, not re-serialised JSON. Returns the payload; throws a
 * {@link WebhookVerificationError} (`ERR_PYTRACK_WEBHOOK_VERIFICATION`) otherwise.
 *
 * @example
 * ```ts
 * const rawBody = await readRawBody(request)
 * const { webhookId, result } = verifyWebhook(rawBody, request.headers, process.env.WEBHOOK_SECRET!)
 * if (await alreadySeen(webhookId)) return reply(200)
 * await store(result)
 * ```
 */
export function verifyWebhook(
  rawBody: string | Uint8Array,
  headers: WebhookHeaders,
  secret: WebhookSecret | readonly WebhookSecret[],
  options: VerifyWebhookOptions = {},
): VerifiedWebhook {
  const { webhookId, timestamp, payload } = verifyWebhookSignature(rawBody, headers, secret, options)
  let result: TrackingResult
  try {
    result = TrackingResult.fromJSON(payload)
  } catch (error) {
    throw new WebhookVerificationError(
      `the signed body is not a tracking payload: ${(error as Error).message}`,
      { reason: 'invalid-payload', cause: error },
    )
  }
  return { webhookId, timestamp, payload: payload as TrackingResultJson, result }
}

/**
 * The `webhook-signature` header value for a body: `v1,<base64 HMAC-SHA256>` of
 * `{webhookId}.{timestamp}.{body}`, one per secret, space-separated. {@link sendWebhook}
 * signs for you; this is for tests and for other senders.
 *
 * @example
 * ```ts
 * signWebhook('{"test": 2432232314}', {
 *   webhookId: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
 *   timestamp: 1614265330,
 *   secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
 * }) // 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='
 * ```
 */
export function signWebhook(body: string | Uint8Array, options: SignWebhookOptions): string {
  if (typeof body !== 'string' && !(body instanceof Uint8Array)) {
    throw new InvalidArgumentError('body must be a string or a Uint8Array')
  }
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('signWebhook needs { webhookId, timestamp, secret }')
  }
  const webhookId = checkWebhookId(options.webhookId, 'webhookId')
  const { timestamp } = options
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new InvalidArgumentError('timestamp must be whole seconds since the epoch, such as Math.floor(Date.now() / 1000)')
  }
  const keys = secretKeys(options.secret, 'secret')
  return signatureHeader(keys, webhookId, timestamp, body)
}

/**
 * A new random secret in the Standard Webhooks format: `whsec_` and 32 random bytes in base64.
 * Give it to the receiver and to {@link sendWebhook}'s `secret`.
 *
 * @example
 * ```ts
 * const secret = generateWebhookSecret() // 'whsec_q3V...='
 * ```
 */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`
}
