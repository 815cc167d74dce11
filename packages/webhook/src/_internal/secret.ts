import { createHmac } from 'node:crypto'
import { InvalidArgumentError, describeValue } from '@pytrack/core'

/**
 * A Standard Webhooks secret: `whsec_<base64>` (at least 24 bytes once decoded) or the raw key bytes.
 *
 * @example
 * ```ts
 * const secret: WebhookSecret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
 * const raw: WebhookSecret = crypto.getRandomValues(new Uint8Array(32))
 * ```
 */
export type WebhookSecret = string | Uint8Array

const PREFIX = 'whsec_'
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/
// The Standard Webhooks specification asks for at least 24 random bytes (192 bits).
const MIN_KEY_BYTES = 24

/** Decodes one secret into HMAC key bytes, or throws an {@link InvalidArgumentError} saying how to fix it. */
function secretKey(secret: WebhookSecret, name: string): Uint8Array {
  let key: Uint8Array
  if (typeof secret === 'string') {
    if (!secret.startsWith(PREFIX)) {
      throw new InvalidArgumentError(
        `${name} must be a Standard Webhooks secret "whsec_<base64>" or the raw key bytes as a Uint8Array; make one with generateWebhookSecret()`,
      )
    }
    const encoded = secret.slice(PREFIX.length)
    if (encoded.length % 4 !== 0 || !BASE64.test(encoded)) {
      throw new InvalidArgumentError(`${name} must be "whsec_" followed by standard base64 (A-Z a-z 0-9 + /, padded with =)`)
    }
    key = Buffer.from(encoded, 'base64')
  } else if (secret instanceof Uint8Array) {
    key = secret
  } else {
    throw new InvalidArgumentError(`${name} must be a "whsec_<base64>" string or a Uint8Array, not ${describeValue(secret)}`)
  }
  if (key.length < MIN_KEY_BYTES) {
    throw new InvalidArgumentError(
      `${name} is ${key.length} bytes long; Standard Webhooks secrets need at least ${MIN_KEY_BYTES} random bytes (generateWebhookSecret() makes 32)`,
    )
  }
  return key
}

/** One secret or several (for rotation), decoded. An empty list is refused. */
export function secretKeys(secret: WebhookSecret | readonly WebhookSecret[], name: string): Uint8Array[] {
  if (Array.isArray(secret)) {
    if (secret.length === 0) throw new InvalidArgumentError(`${name} is an empty list; give at least one secret`)
    return secret.map((s: WebhookSecret, i: number) => secretKey(s, `${name}[${i}]`))
  }
  return [secretKey(secret as WebhookSecret, name)]
}

/** The base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`, as the Standard Webhooks scheme signs. */
export function signature(key: Uint8Array, webhookId: string, timestamp: number, body: string | Uint8Array): string {
  const hmac = createHmac('sha256', key)
  hmac.update(`${webhookId}.${timestamp}.`)
  hmac.update(body)
  return hmac.digest('base64')
}

/** The `webhook-signature` header value: `v1,<sig>` for each key, space-separated. */
export function signatureHeader(keys: readonly Uint8Array[], webhookId: string, timestamp: number, body: string | Uint8Array): string {
  let out = ''
  for (const key of keys) {
    out += `${out === '' ? '' : ' '}v1,${signature(key, webhookId, timestamp, body)}`
  }
  return out
}

const WEBHOOK_ID = /^[\x21-\x2d\x2f-\x7e]{1,255}$/

/** Checks a caller-supplied `webhook-id`: printable ASCII without `.` (the scheme's separator), at most 255 characters. */
export function checkWebhookId(value: unknown, name: string): string {
  if (typeof value !== 'string' || !WEBHOOK_ID.test(value) || value.includes(',')) {
    throw new InvalidArgumentError(
      `${name} must be 1 to 255 printable ASCII characters without spaces, "." or ",", such as "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"`,
    )
  }
  return value
}
