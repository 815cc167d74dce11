import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { TrackingResult, isPytrackError } from '@pytrack/core'
import { thrownBy } from '../../../test-utils/errors'
import { WebhookVerificationError, generateWebhookSecret, signWebhook, verifyWebhook, verifyWebhookSignature, type WebhookVerificationFailure } from './index'

// The Standard Webhooks reference libraries' own signing example
// (standard-webhooks/standard-webhooks, libraries/javascript/src/webhook.test.ts, "sign function works").
const SPEC = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  webhookId: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
}

const result = new TrackingResult({
  isOpenTracking: false,
  isClickTracking: true,
  trackedUrl: 'https://example.com/',
  metadata: { customer_id: 7, name: 'Zoë' },
  timestamp: 1700000000,
})
const body = JSON.stringify(result)
const secret = generateWebhookSecret()
const now = 1700000100 * 1000

function signed(overrides: Partial<{ body: string; id: string; timestamp: number; secret: string }> = {}) {
  const timestamp = overrides.timestamp ?? now / 1000
  const id = overrides.id ?? 'msg_1'
  return {
    body: overrides.body ?? body,
    headers: {
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(overrides.body ?? body, { webhookId: id, timestamp, secret: overrides.secret ?? secret }),
    } as Record<string, string>,
  }
}

function reason(fn: () => unknown): WebhookVerificationFailure {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookVerificationError)
    expect(isPytrackError(error, 'ERR_PYTRACK_WEBHOOK_VERIFICATION')).toBe(true)
    return (error as WebhookVerificationError).reason
  }
  throw new Error('expected verifyWebhook to throw')
}

describe('signWebhook', () => {
  it("matches the Standard Webhooks reference example", () => {
    expect(signWebhook(SPEC.body, SPEC)).toBe(SPEC.signature)
  })

  it('gives the same signature for the raw key bytes', () => {
    const key = new Uint8Array(Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64'))
    expect(signWebhook(Buffer.from(SPEC.body), { ...SPEC, secret: key })).toBe(SPEC.signature)
  })

  it('signs with each secret, space-separated', () => {
    const other = generateWebhookSecret()
    const header = signWebhook(SPEC.body, { ...SPEC, secret: [SPEC.secret, other] })
    expect(header.split(' ')).toEqual([SPEC.signature, signWebhook(SPEC.body, { ...SPEC, secret: other })])
  })
})

describe('verifyWebhook', () => {
  it('accepts the reference example (the signature matches; its body is no tracking payload)', () => {
    const headers = { 'webhook-id': SPEC.webhookId, 'webhook-timestamp': String(SPEC.timestamp), 'webhook-signature': SPEC.signature }
    expect(reason(() => verifyWebhook(SPEC.body, headers, SPEC.secret, { now: SPEC.timestamp * 1000 }))).toBe('invalid-payload')
    expect(reason(() => verifyWebhook('{"test": 2432232315}', headers, SPEC.secret, { now: SPEC.timestamp * 1000 }))).toBe(
      'invalid-signature',
    )
  })

  it('returns the webhook-id, timestamp, payload and TrackingResult', () => {
    const { body: raw, headers } = signed()
    const verified = verifyWebhook(raw, headers, secret, { now })
    expect(verified).toEqual({ webhookId: 'msg_1', timestamp: now / 1000, payload: result.toJSON(), result })
  })

  it('reads Fetch Headers and headers in any case', () => {
    const { body: raw, headers } = signed()
    expect(verifyWebhook(raw, new Headers(headers), secret, { now }).result).toEqual(result)
    const upper = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]))
    expect(verifyWebhook(new TextEncoder().encode(raw), upper, secret, { now }).result).toEqual(result)
  })

  it('accepts any matching signature among several, and any of several secrets', () => {
    const { body: raw, headers } = signed()
    headers['webhook-signature'] = `v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,abc ${headers['webhook-signature']} v1a,xyz`
    expect(verifyWebhook(raw, headers, secret, { now }).result).toEqual(result)
    expect(verifyWebhook(raw, headers, [generateWebhookSecret(), secret], { now }).result).toEqual(result)
  })

  it('refuses a tampered body, id or timestamp, and a wrong secret', () => {
    const { body: raw, headers } = signed()
    expect(reason(() => verifyWebhook(raw.replace('7', '8'), headers, secret, { now }))).toBe('invalid-signature')
    expect(reason(() => verifyWebhook(raw, { ...headers, 'webhook-id': 'msg_2' }, secret, { now }))).toBe('invalid-signature')
    const later = String(now / 1000 + 1)
    expect(reason(() => verifyWebhook(raw, { ...headers, 'webhook-timestamp': later }, secret, { now }))).toBe('invalid-signature')
    expect(reason(() => verifyWebhook(raw, headers, generateWebhookSecret(), { now }))).toBe('invalid-signature')
    expect(reason(() => verifyWebhook(raw, { ...headers, 'webhook-signature': 'v1,' }, secret, { now }))).toBe('invalid-signature')
    const v2 = headers['webhook-signature']?.replace('v1,', 'v2,') ?? ''
    expect(reason(() => verifyWebhook(raw, { ...headers, 'webhook-signature': v2 }, secret, { now }))).toBe('invalid-signature')
  })

  it('refuses timestamps outside the tolerance, either way', () => {
    const old = signed({ timestamp: now / 1000 - 301 })
    expect(reason(() => verifyWebhook(old.body, old.headers, secret, { now }))).toBe('timestamp-out-of-tolerance')
    const future = signed({ timestamp: now / 1000 + 301 })
    expect(reason(() => verifyWebhook(future.body, future.headers, secret, { now }))).toBe('timestamp-out-of-tolerance')
    expect(verifyWebhook(old.body, old.headers, secret, { now, toleranceSeconds: 400 }).result).toEqual(result)
    const edge = signed({ timestamp: now / 1000 - 300 })
    expect(verifyWebhook(edge.body, edge.headers, secret, { now }).webhookId).toBe('msg_1')
  })

  it('checks against the real clock by default', () => {
    const fresh = signed({ timestamp: Math.floor(Date.now() / 1000) })
    expect(verifyWebhook(fresh.body, fresh.headers, secret).result).toEqual(result)
    const { body: raw, headers } = signed({ timestamp: 1000 })
    expect(reason(() => verifyWebhook(raw, headers, secret))).toBe('timestamp-out-of-tolerance')
  })

  it('refuses missing headers and malformed timestamps', () => {
    const { body: raw, headers } = signed()
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      const without = { ...headers }
      delete without[name]
      expect(reason(() => verifyWebhook(raw, without, secret, { now }))).toBe('missing-header')
    }
    // Header holders that give something other than text: a Map (get answers undefined), numbers.
    expect(reason(() => verifyWebhook(raw, new Map() as never, secret, { now }))).toBe('missing-header')
    expect(reason(() => verifyWebhook(raw, { ...headers, 'webhook-signature': 5 } as never, secret, { now }))).toBe('missing-header')
    expect(reason(() => verifyWebhook(raw, { ...headers, 'webhook-id': [1] } as never, secret, { now }))).toBe('missing-header')
    for (const bad of ['hello', '1.5', '-1', '1e9', ' 1700000100']) {
      expect(reason(() => verifyWebhook(raw, { ...headers, 'webhook-timestamp': bad }, secret, { now }))).toBe('invalid-timestamp')
    }
  })

  it('refuses a signed body that is not a tracking payload', () => {
    const notJson = signed({ body: 'not json' })
    expect(reason(() => verifyWebhook(notJson.body, notJson.headers, secret, { now }))).toBe('invalid-payload')
    const array = signed({ body: '[1]' })
    expect(reason(() => verifyWebhook(array.body, array.headers, secret, { now }))).toBe('invalid-payload')
  })

  it('never puts the secret or the body in its messages', () => {
    const { body: raw, headers } = signed()
    try {
      verifyWebhook(raw, headers, generateWebhookSecret(), { now })
    } catch (error) {
      expect((error as Error).message).not.toContain(secret.slice(6))
      expect((error as Error).message).not.toContain('Zo')
    }
  })

  it('throws typed argument errors for a bad secret or options', () => {
    const { body: raw, headers } = signed()
    expect(() => verifyWebhook(raw, headers, 'plain-secret-of-some-length-000000')).toThrow(/whsec_/)
    expect(() => verifyWebhook(raw, headers, [])).toThrow(/at least one secret/)
    expect(() => verifyWebhook(raw, headers, secret, { toleranceSeconds: -1 })).toThrow(/toleranceSeconds/)
    expect(() => verifyWebhook(42 as never, headers, secret)).toThrow(/rawBody/)
  })

  it('accepts every signed body and refuses every changed one (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
        fc.nat(),
        (text, id, flip) => {
          const payload = JSON.stringify({ ...result.toJSON(), metadata: { text } })
          const { body: raw, headers } = signed({ body: payload, id })
          expect(verifyWebhook(raw, headers, secret, { now }).payload.metadata).toEqual({ text })
          const bytes = Buffer.from(raw)
          const at = flip % bytes.length
          bytes[at] = (bytes[at] ?? 0) ^ 1
          expect(reason(() => verifyWebhook(bytes, headers, secret, { now }))).toBe('invalid-signature')
        },
      ),
      { numRuns: 200 },
    )
  })
})

describe('generateWebhookSecret', () => {
  it('makes whsec_ secrets of 32 random bytes', () => {
    const a = generateWebhookSecret()
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    expect(Buffer.from(a.slice(6), 'base64')).toHaveLength(32)
    expect(generateWebhookSecret()).not.toBe(a)
  })
})

describe('verifyWebhookSignature', () => {
  it('accepts a signed body of any event type, which verifyWebhook refuses as no tracking payload, and checks the signature the same way', () => {
    const secret = generateWebhookSecret()
    const body = '{"type": "reclassified", "email_id": "m-1", "event_id": 2, "timestamp": 1767225602, "events": [{"id": 1, "label": "trap"}]}'
    const timestamp = Math.floor(Date.now() / 1000)
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(body, { webhookId: 'msg_1', timestamp, secret }) }
    expect(verifyWebhookSignature(body, headers, secret)).toEqual({ webhookId: 'msg_1', timestamp, payload: JSON.parse(body) })
    expect(() => verifyWebhook(body, headers, secret)).toThrow(/not a tracking payload/)
    const tampered = body.replace('trap', 'human')
    expect(() => verifyWebhookSignature(tampered, headers, secret)).toThrow(WebhookVerificationError)
    expect(thrownBy(() => verifyWebhookSignature(tampered, headers, secret))).toMatchObject({ reason: 'invalid-signature' })
  })
})
