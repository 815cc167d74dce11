import { readFileSync } from 'node:fs'
import { Agent, type Dispatcher } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import {
  Configuration,
  ConfigurationError,
  TrackingResult,
  getClickTrackingResult,
  getClickTrackingUrl,
  isPytrackError,
  type PytrackingSettings,
} from '@pytrack/core'
import { loadVectors } from '../../../test-utils/vectors'
import {
  type Answer,
  type Receiver,
  firstThen,
  hang,
  reset,
  startReceiver,
  status,
} from '../test/receiver'
import { WebhookDeliveryError, sendWebhook, sendWebhooks, verifyWebhook, type WebhookOutcome } from './index'

const receivers: Receiver[] = []
async function receiver(answer?: Answer, path?: string): Promise<Receiver> {
  const r = await startReceiver(answer, path)
  receivers.push(r)
  return r
}
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()))
})

// Small backoff so the suite stays quick; the policy's shape is what is tested.
const fast = { baseDelayMs: 5, maxDelayMs: 20 }

const click = new TrackingResult({
  isOpenTracking: false,
  isClickTracking: true,
  trackedUrl: 'https://example.com/café?a=1&b="2"',
  metadata: { name: 'Zoë', emoji: '😀', n: 1.5, tiny: 0.00001, list: [1, 2], ok: null },
  requestData: { user_agent: 'Mozilla/5.0', user_ip: '127.0.0.1' },
  timestamp: 1389177318,
})

const open = new TrackingResult({
  isOpenTracking: true,
  isClickTracking: false,
  metadata: { customer_id: 1 },
  timestamp: 1389177318,
})

function failed(outcome: WebhookOutcome): Extract<WebhookOutcome, { delivered: false }> {
  if (outcome.delivered) throw new Error(`expected a failure, got ${outcome.status}`)
  return outcome
}

describe('the payload', () => {
  it("is byte for byte the JSON pytracking's requests.post(json=payload) sends", async () => {
    const r = await receiver()
    const outcome = await sendWebhook(click, { webhookUrl: `${r.url}?token=abc` })
    expect(outcome).toMatchObject({ delivered: true, status: 200, attempts: 1, url: `${r.url}?token=abc` })
    // Written by hand from pytracking's format: ", " and ": " separators, non-ASCII as
    // \uXXXX (a surrogate pair above U+FFFF), floats as Python's repr, key order kept.
    const expected =
      '{"is_open_tracking": false, "is_click_tracking": true, "metadata": {"name": "Zo\\u00eb", "emoji": "\\ud83d\\ude00", ' +
      '"n": 1.5, "tiny": 1e-05, "list": [1, 2], "ok": null}, "request_data": {"user_agent": "Mozilla/5.0", ' +
      '"user_ip": "127.0.0.1"}, "timestamp": 1389177318, "tracked_url": "https://example.com/caf\\u00e9?a=1&b=\\"2\\""}'
    const [request] = r.requests
    expect(request?.body.toString('latin1')).toBe(expected)
    expect(request?.method).toBe('POST')
    expect(request?.url).toBe('/hook?token=abc')
    expect(request?.headers['content-type']).toBe('application/json')
    expect(request?.headers['content-length']).toBe(String(expected.length))
    expect(request?.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/)
    expect(request?.headers['webhook-signature']).toBeUndefined()
  })

  it("is what the README shows", async () => {
    const r = await receiver()
    const result = new TrackingResult({
      isOpenTracking: false,
      isClickTracking: true,
      trackedUrl: 'https://example.com/?query=value',
      metadata: { customer_id: 1, name: 'Zoë' },
      requestData: { user_agent: 'Mozilla/5.0', user_ip: '203.0.113.7' },
      timestamp: 1389177318,
    })
    await sendWebhook(result, { webhookUrl: r.url })
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    const shown = /```json\n(.*)\n```/.exec(readme)?.[1]
    expect(r.requests[0]?.body.toString()).toBe(shown)
  })

  it('leaves tracked_url out for opens and sends request_data null, as pytracking does', async () => {
    const r = await receiver()
    await sendWebhook(open, { webhookUrl: r.url })
    expect(r.requests[0]?.body.toString()).toBe(
      '{"is_open_tracking": true, "is_click_tracking": false, "metadata": {"customer_id": 1}, "request_data": null, "timestamp": 1389177318}',
    )
  })

  it("carries what pytracking decodes from its own links (the team's vectors)", async () => {
    const r = await receiver()
    interface Case {
      config: PytrackingSettings
      kind: string
      url: string
      result: { metadata: Record<string, unknown>; tracked_url: string | null }
    }
    let checked = 0
    for (const file of loadVectors<{ cases: Case[] }>('pytracking/encode.json')) {
      for (const vector of file.data.cases.filter((c) => c.kind === 'click').slice(0, 5)) {
        const configuration = Configuration.fromPytracking(vector.config)
        const result = getClickTrackingResult(vector.url, { configuration, timestamp: 1700000000 })
        const outcome = await sendWebhook(result, { webhookUrl: r.url, allowedWebhookOrigins: () => false })
        expect(outcome.delivered).toBe(true)
        const body = JSON.parse(r.requests.at(-1)?.body.toString() ?? '') as Record<string, unknown>
        expect(Object.keys(body)).toEqual(['is_open_tracking', 'is_click_tracking', 'metadata', 'request_data', 'timestamp', 'tracked_url'])
        expect(body.tracked_url).toBe(vector.result.tracked_url)
        expect(body.metadata).toEqual(vector.result.metadata)
        checked++
      }
    }
    expect(checked).toBeGreaterThan(0)
  })
})

describe('retries', () => {
  it('retries 5xx until the receiver accepts, with the same webhook-id and body each time', async () => {
    const r = await receiver(firstThen(2, (req, res, i) => status(i === 0 ? 500 : 503)(req, res, i, null as never)))
    const outcome = await sendWebhook(click, { webhookUrl: r.url, retry: { attempts: 5, ...fast } })
    expect(outcome).toMatchObject({ delivered: true, status: 200, attempts: 3 })
    expect(r.requests).toHaveLength(3)
    const ids = new Set(r.requests.map((q) => q.headers['webhook-id']))
    expect(ids.size).toBe(1)
    expect(ids.has(outcome.webhookId)).toBe(true)
    expect(new Set(r.requests.map((q) => q.body.toString())).size).toBe(1)
  })

  it('names the receiver by its origin only: the path of a webhook URL is often its secret', async () => {
    const r = await receiver(status(500), '/services/T000/B000/s3cretT0ken')
    const outcome = failed(await sendWebhook(click, { webhookUrl: r.url, retry: { attempts: 1, ...fast } }))
    expect(outcome.error.message).toContain(new URL(r.url).origin)
    expect(outcome.error.message).not.toContain('s3cretT0ken')
    expect(outcome.url).toBe(r.url)
  })

  it('retries 408 and gives up after retry.attempts with the last status', async () => {
    const r = await receiver(status(408))
    const outcome = failed(await sendWebhook(click, { webhookUrl: r.url, retry: { attempts: 3, ...fast } }))
    expect(outcome).toMatchObject({ status: 408, attempts: 3 })
    expect(outcome.error).toBeInstanceOf(WebhookDeliveryError)
    expect(outcome.error.code).toBe('ERR_PYTRACK_WEBHOOK_DELIVERY')
    expect(outcome.error.message).toContain('408 Request Timeout')
    expect(outcome.error.message).toContain('gave up after 3 attempts')
    expect(r.requests).toHaveLength(3)
  })

  it('does not retry a 400, and says so', async () => {
    const r = await receiver(status(400))
    const outcome = failed(await sendWebhook(click, { webhookUrl: r.url, retry: fast }))
    expect(outcome).toMatchObject({ status: 400, attempts: 1 })
    expect(outcome.error.message).toContain('400 Bad Request, which is not retried')
    expect(r.requests).toHaveLength(1)
  })

  it('does not follow redirects (a 3xx is a failure, not retried)', async () => {
    const target = await receiver()
    const r = await receiver(status(307, { location: target.url }))
    const outcome = failed(await sendWebhook(click, { webhookUrl: r.url, retry: fast }))
    expect(outcome).toMatchObject({ status: 307, attempts: 1 })
    expect(target.requests).toHaveLength(0)
  })

  it('honours Retry-After in seconds on a 429', async () => {
    const r = await receiver(firstThen(1, status(429, { 'retry-after': '1' })))
    const outcome = await sendWebhook(click, { webhookUrl: r.url, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 } })
    expect(outcome).toMatchObject({ delivered: true, attempts: 2 })
    const [first, second] = r.requests
    // Without Retry-After the backoff would have waited at most 1 ms.
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(900)
  })

  it('honours Retry-After as an HTTP date', async () => {
    const r = await receiver(
      firstThen(1, (req, res, i) => status(503, { 'retry-after': new Date(Date.now() + 2000).toUTCString() })(req, res, i, null as never)),
    )
    const outcome = await sendWebhook(click, { webhookUrl: r.url, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 } })
    expect(outcome).toMatchObject({ delivered: true, attempts: 2 })
    // The date has whole-second precision: at least one second was waited.
    expect((r.requests[1]?.at ?? 0) - (r.requests[0]?.at ?? 0)).toBeGreaterThanOrEqual(900)
  })

  it('fails at once when Retry-After asks for more than the budget leaves', async () => {
    const r = await receiver(status(429, { 'retry-after': '3600' }))
    const outcome = failed(await sendWebhook(click, { webhookUrl: r.url, retry: { attempts: 5, budgetMs: 10_000 } }))
    expect(outcome).toMatchObject({ status: 429, attempts: 1 })
    expect(outcome.error.message).toContain('Retry-After asked for 3600 s')
  })

  it('stops when the time budget is spent', async () => {
    const r = await receiver(status(503))
    const outcome = failed(
      await sendWebhook(click, { webhookUrl: r.url, retry: { attempts: 1000, baseDelayMs: 20, maxDelayMs: 50, budgetMs: 300 } }),
    )
    expect(outcome.status).toBe(503)
    expect(outcome.attempts).toBeGreaterThan(1)
    expect(outcome.attempts).toBeLessThan(1000)
    expect(outcome.error.message).toContain('budget')
  })

  it('times out a slow receiver after webhookTimeoutSeconds, and retries', async () => {
    const r = await receiver(hang)
    const outcome = failed(
      await sendWebhook(click, { webhookUrl: r.url, webhookTimeoutSeconds: 0.2, retry: { attempts: 2, ...fast } }),
    )
    expect(outcome).toMatchObject({ status: null, attempts: 2 })
    expect(outcome.error.message).toContain('no answer within 0.2 s')
    expect(r.requests).toHaveLength(2)
  })

  it('takes the timeout from the configuration (pytracking webhook_timeout_seconds)', async () => {
    const r = await receiver(hang)
    const configuration = Configuration.fromPytracking({ webhook_url: r.url, webhook_timeout_seconds: 0.15 })
    const outcome = failed(await sendWebhook(click, { configuration, retry: false }))
    expect(outcome.error.message).toContain('no answer within 0.15 s')
  })

  it('retries connection resets until one gets through', async () => {
    const r = await receiver(firstThen(2, reset))
    const outcome = await sendWebhook(click, { webhookUrl: r.url, retry: { attempts: 4, ...fast } })
    expect(outcome).toMatchObject({ delivered: true, attempts: 3 })
  })

  it('reports a receiver that always resets, with the network error as cause', async () => {
    const r = await receiver(reset)
    const outcome = failed(await sendWebhook(click, { webhookUrl: r.url, retry: { attempts: 3, ...fast } }))
    expect(outcome).toMatchObject({ status: null, attempts: 3 })
    expect(outcome.error.cause).toBeInstanceOf(Error)
    expect(outcome.error.message).toMatch(/failed: .*\((ECONNRESET|UND_ERR_SOCKET)\)/)
  })

  it('reports a refused connection', async () => {
    const r = await startReceiver()
    await r.close()
    const outcome = failed(await sendWebhook(click, { webhookUrl: r.url, retry: { attempts: 2, ...fast } }))
    expect(outcome.attempts).toBe(2)
    expect(outcome.error.message).toContain('ECONNREFUSED')
  })

  it('stops waiting between attempts when the caller aborts', async () => {
    const r = await receiver(status(503))
    const controller = new AbortController()
    const outcome = failed(
      await sendWebhook(click, {
        webhookUrl: r.url,
        // The jitter is drawn when the 503 is in and a 60 s wait begins: abort during it.
        retry: {
          attempts: 5,
          baseDelayMs: 60_000,
          maxDelayMs: 60_000,
          // The wait starts right after random() returns, before this microtask runs.
          random: () => {
            queueMicrotask(() => controller.abort())
            return 0.99
          },
        },
        signal: controller.signal,
      }),
    )
    expect(outcome).toMatchObject({ status: 503, attempts: 1 })
    expect(outcome.error.message).toContain("caller's signal")
  })

  it('aborts an attempt in flight when the caller aborts', async () => {
    const r = await receiver(hang)
    const controller = new AbortController()
    const pending = sendWebhook(click, { webhookUrl: r.url, signal: controller.signal })
    await r.arrived(1)
    controller.abort()
    const outcome = failed(await pending)
    expect(outcome).toMatchObject({ status: null, attempts: 1 })
    expect(outcome.error.message).toContain("caller's signal")
  })

  it("sends nothing when the caller's signal has already aborted", async () => {
    const r = await receiver()
    const outcome = failed(await sendWebhook(click, { webhookUrl: r.url, signal: AbortSignal.abort() }))
    expect(outcome).toMatchObject({ status: null, attempts: 0 })
    expect(outcome.error.message).toContain("caller's signal")
    expect(r.requests).toHaveLength(0)
  })

  it('throws the failure with throwOnFailure', async () => {
    const r = await receiver(status(400))
    const error = await sendWebhook(click, { webhookUrl: r.url, throwOnFailure: true }).catch((e: unknown) => e)
    expect(isPytrackError(error, 'ERR_PYTRACK_WEBHOOK_DELIVERY')).toBe(true)
    expect((error as WebhookDeliveryError).status).toBe(400)
    expect((error as WebhookDeliveryError).attempts).toBe(1)
  })

  it('never puts the query string (which may hold a token) in the message', async () => {
    const r = await receiver(status(400))
    const outcome = failed(await sendWebhook(click, { webhookUrl: `${r.url}?token=s3cret` }))
    expect(outcome.error.message).toContain(new URL(r.url).origin)
    expect(outcome.error.message).not.toContain('s3cret')
  })
})

describe('signed deliveries', () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
  const previous = `whsec_${Buffer.alloc(32, 7).toString('base64')}`

  it('verify on the receiving side, on every retry, with a stable webhook-id', async () => {
    const r = await receiver(firstThen(1, status(502)))
    const outcome = await sendWebhook(click, { webhookUrl: r.url, secret, webhookId: 'evt_42', retry: fast })
    expect(outcome).toMatchObject({ delivered: true, attempts: 2, webhookId: 'evt_42' })
    for (const request of r.requests) {
      const verified = verifyWebhook(request.body, request.headers, secret)
      expect(verified.webhookId).toBe('evt_42')
      expect(verified.result).toEqual(click)
      expect(verified.payload).toEqual(click.toJSON())
    }
  })

  it('carry one signature per secret while rotating', async () => {
    const r = await receiver()
    await sendWebhook(click, { webhookUrl: r.url, secret: [secret, previous] })
    const request = r.requests[0]
    expect(String(request?.headers['webhook-signature']).split(' ')).toHaveLength(2)
    expect(verifyWebhook(request?.body ?? '', request?.headers ?? {}, secret).result).toEqual(click)
    expect(verifyWebhook(request?.body ?? '', request?.headers ?? {}, previous).result).toEqual(click)
  })

  it('accept raw key bytes', async () => {
    const r = await receiver()
    const key = Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64')
    await sendWebhook(open, { webhookUrl: r.url, secret: new Uint8Array(key) })
    const request = r.requests[0]
    expect(verifyWebhook(request?.body ?? '', request?.headers ?? {}, secret).result).toEqual(open)
  })
})

describe('webhook URLs from links', () => {
  async function linkResult(webhookUrl: string): Promise<TrackingResult> {
    const configuration = new Configuration({
      baseClickTrackingUrl: 'https://t.example.com/c/',
      webhookUrl,
      includeWebhookUrl: true,
    })
    const url = getClickTrackingUrl('https://example.com/', { id: 1 }, { configuration })
    return getClickTrackingResult(url, { configuration })
  }

  it('are not used without an allow-list: the configured webhook is, and the refusal is reported', async () => {
    const linked = await receiver()
    const configured = await receiver()
    const result = await linkResult(linked.url)
    const outcome = await sendWebhook(result, { webhookUrl: configured.url })
    expect(outcome).toMatchObject({ delivered: true, url: configured.url, rejectedWebhookUrl: linked.url })
    expect(linked.requests).toHaveLength(0)
    expect(configured.requests).toHaveLength(1)
  })

  it('are used when their origin is allowed', async () => {
    const linked = await receiver()
    const configured = await receiver()
    const result = await linkResult(linked.url)
    const outcome = await sendWebhook(result, { webhookUrl: configured.url, allowedWebhookOrigins: [linked.origin] })
    expect(outcome).toMatchObject({ delivered: true, url: linked.url, rejectedWebhookUrl: null })
    expect(linked.requests).toHaveLength(1)
    expect(configured.requests).toHaveLength(0)
  })

  it('are used when a predicate allows them', async () => {
    const linked = await receiver()
    const result = await linkResult(linked.url)
    const seen: string[] = []
    const outcome = await sendWebhook(result, {
      allowedWebhookOrigins: (url) => {
        seen.push(url.href)
        return url.hostname === '127.0.0.1'
      },
    })
    expect(outcome).toMatchObject({ delivered: true, url: linked.url })
    expect(seen).toEqual([linked.url])
  })

  it('fail with ERR_PYTRACK_WEBHOOK_URL_NOT_ALLOWED when refused and nothing is configured', async () => {
    const linked = await receiver()
    const result = await linkResult(linked.url)
    const outcome = failed(await sendWebhook(result, { allowedWebhookOrigins: ['https://hooks.example.com'] }))
    expect(outcome).toMatchObject({ url: null, attempts: 0, rejectedWebhookUrl: linked.url })
    expect(outcome.error.code).toBe('ERR_PYTRACK_WEBHOOK_URL_NOT_ALLOWED')
    expect(linked.requests).toHaveLength(0)
  })

  it('are refused when not http(s), whatever the predicate says', async () => {
    const result = new TrackingResult({ isOpenTracking: true, isClickTracking: false, webhookUrl: 'file:///etc/passwd' })
    const outcome = failed(await sendWebhook(result, { allowedWebhookOrigins: () => true }))
    expect(outcome.error.code).toBe('ERR_PYTRACK_WEBHOOK_URL_NOT_ALLOWED')
  })

  it('need allow-list entries that are origins', async () => {
    await expect(sendWebhook(open, { webhookUrl: 'http://127.0.0.1:9/x', allowedWebhookOrigins: ['https://a.example.com/hook'] })).rejects.toThrow(
      ConfigurationError,
    )
    await expect(sendWebhook(open, { webhookUrl: 'http://127.0.0.1:9/x', allowedWebhookOrigins: ['ftp://a.example.com'] })).rejects.toThrow(
      /http or https/,
    )
  })
})

describe('several webhooks', () => {
  it('go to the configured webhook and to each endpoint that takes the event, with one webhook-id', async () => {
    const main = await receiver()
    const clicks = await receiver()
    const opens = await receiver()
    const all = await receiver()
    const endpoints = [
      { url: clicks.url, events: ['click'] as const },
      { url: opens.url, events: ['open'] as const },
      all.url,
    ]
    const clickOutcomes = await sendWebhooks(click, { webhookUrl: main.url, endpoints })
    expect(clickOutcomes.map((o) => o.url)).toEqual([main.url, clicks.url, all.url])
    expect(clickOutcomes.every((o) => o.delivered)).toBe(true)
    const openOutcomes = await sendWebhooks(open, { webhookUrl: main.url, endpoints })
    expect(openOutcomes.map((o) => o.url)).toEqual([main.url, opens.url, all.url])
    expect([main, clicks, opens, all].map((r) => r.requests.length)).toEqual([2, 1, 1, 2])
    expect(new Set([main.requests[0], clicks.requests[0], all.requests[0]].map((q) => q?.headers['webhook-id'])).size).toBe(1)
  })

  it('each keep their own secret, timeout and headers', async () => {
    const signed = await receiver()
    const slow = await receiver(hang)
    const secret = `whsec_${Buffer.alloc(24, 1).toString('base64')}`
    const outcomes = await sendWebhooks(click, {
      endpoints: [
        { url: signed.url, secret, headers: { authorization: 'Bearer t' } },
        { url: slow.url, timeoutSeconds: 0.1 },
      ],
      retry: false,
    })
    expect(outcomes[0]?.delivered).toBe(true)
    expect(signed.requests[0]?.headers.authorization).toBe('Bearer t')
    expect(verifyWebhook(signed.requests[0]?.body ?? '', signed.requests[0]?.headers ?? {}, secret).result).toEqual(click)
    expect(failed(outcomes[1] as WebhookOutcome).error.message).toContain('no answer within 0.1 s')
  })

  it('resolve to nothing when no receiver takes the event', async () => {
    const clicks = await receiver()
    expect(await sendWebhooks(open, { endpoints: [{ url: clicks.url, events: ['click'] }] })).toEqual([])
  })
})

describe('per-link timeout', () => {
  it("comes from the metadata key named by linkTimeoutKey, capped at 60 s", async () => {
    const r = await receiver(hang)
    const result = new TrackingResult({
      isOpenTracking: true,
      isClickTracking: false,
      metadata: { webhook_timeout_seconds: 0.1 },
    })
    const outcome = failed(
      await sendWebhook(result, { webhookUrl: r.url, webhookTimeoutSeconds: 30, linkTimeoutKey: 'webhook_timeout_seconds', retry: false }),
    )
    expect(outcome.error.message).toContain('no answer within 0.1 s')
  })

  it('is ignored when the metadata value is not a positive number', async () => {
    const r = await receiver(hang)
    const result = new TrackingResult({ isOpenTracking: true, isClickTracking: false, metadata: { t: 'soon' } })
    const outcome = failed(await sendWebhook(result, { webhookUrl: r.url, webhookTimeoutSeconds: 0.1, linkTimeoutKey: 't', retry: false }))
    expect(outcome.error.message).toContain('no answer within 0.1 s')
  })
})

describe('the dispatcher', () => {
  it('can be replaced by the caller', async () => {
    const r = await receiver()
    let dispatched = 0
    const agent = new Agent({ connections: 1 })
    const counting: Dispatcher = agent.compose((dispatch) => (options, handler) => {
      dispatched++
      return dispatch(options, handler)
    })
    const outcomes = await Promise.all([1, 2, 3].map(() => sendWebhook(open, { webhookUrl: r.url, dispatcher: counting })))
    expect(outcomes.every((o) => o.delivered)).toBe(true)
    expect(dispatched).toBe(3)
    await agent.close()
  })

  it('keeps connections alive between deliveries', async () => {
    const r = await receiver()
    const agent = new Agent()
    for (let i = 0; i < 6; i++) await sendWebhook(open, { webhookUrl: r.url, dispatcher: agent })
    // Sockets (told apart by the client port) serve several deliveries each; undici may
    // still open a second one while the first finishes its bookkeeping.
    expect(r.requests).toHaveLength(6)
    expect(new Set(r.requests.map((q) => q.remotePort)).size).toBeLessThanOrEqual(2)
    await agent.close()
  })

  it('sends Basic credentials from the URL, as requests does', async () => {
    const r = await receiver()
    await sendWebhook(open, { webhookUrl: r.url.replace('http://', 'http://user:p%40ss@') })
    expect(r.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from('user:p@ss').toString('base64')}`)
  })

  it('keeps a malformed percent-escape in the credentials as written, as requests does, instead of throwing', async () => {
    const r = await receiver()
    const outcome = await sendWebhook(open, { webhookUrl: r.url.replace('http://', 'http://us%zz:100%@') })
    expect(outcome.delivered).toBe(true)
    expect(r.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from('us%zz:100%').toString('base64')}`)
  })
})

describe('mistakes in the arguments', () => {
  const webhookUrl = 'http://127.0.0.1:9/hook'
  it.each([
    ['no webhook at all', {}, /no webhook to post to/],
    ['a secret without whsec_', { webhookUrl, secret: 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }, /whsec_/],
    ['a short secret', { webhookUrl, secret: 'whsec_c2hvcnQ=' }, /at least 24/],
    ['a webhook-id with a dot', { webhookUrl, webhookId: 'a.b' }, /webhookId/],
    ['zero attempts', { webhookUrl, retry: { attempts: 0 } }, /retry.attempts/],
    ['a reserved header', { webhookUrl, headers: { 'Webhook-Id': 'x' } }, /must not set webhook-id/],
    ['endpoints on sendWebhook', { webhookUrl, endpoints: [webhookUrl] }, /sendWebhooks/],
    ['a non-http webhook', { webhookUrl: 'ftp://x.example.com/' }, /http/],
    ['a negative timeout', { webhookUrl, webhookTimeoutSeconds: -1 }, /webhookTimeoutSeconds/],
  ])('rejects %s with a typed error', async (_name, options, message) => {
    const error = await sendWebhook(open, options as never).catch((e: unknown) => e)
    expect(isPytrackError(error)).toBe(true)
    expect((error as Error).message).toMatch(message)
  })

  // One rule for a configured URL (core's parseHttpUrl): the same ConfigurationError as
  // new Configuration({ webhookUrl }) gives, naming the option, never repeating the URL's token.
  it.each([
    ['a configured webhookUrl', { webhookUrl: 'ftp://hooks.example.com/s3cr3tT0ken' }, 'webhookUrl', /^webhookUrl must use http or https/],
    ['an endpoint string', { endpoints: ['hooks.example.com/s3cr3tT0ken'] }, 'endpoints', /^endpoints\[0\] must be an absolute http\(s\) URL/],
    ['an endpoint url', { endpoints: [{ url: 'https://hooks.example.com/s3cr3tT0ken\n' }] }, 'endpoints', /^endpoints\[0\]\.url must not contain white space/],
    ['an endpoint that is not a string', { endpoints: [{ url: 42 }] }, 'endpoints', /^endpoints\[0\]\.url must be a string URL .*, not 42$/],
    ['an allowed origin', { webhookUrl, allowedWebhookOrigins: ['https://hooks.example.com/s3cr3tT0ken'] }, 'allowedWebhookOrigins', /^allowedWebhookOrigins\[0\] must be an origin/],
    ['an allowed origin of another scheme', { webhookUrl, allowedWebhookOrigins: ['ftp://hooks.example.com'] }, 'allowedWebhookOrigins', /http or https/],
    // A timeout, as webhookTimeoutSeconds: -1 is.
    ['a negative configured timeout', { webhookUrl, webhookTimeoutSeconds: -1 }, 'webhookTimeoutSeconds', /^webhookTimeoutSeconds must be a finite number of at least 0\.001; got -1$/],
    ['a negative endpoint timeout', { endpoints: [{ url: webhookUrl, timeoutSeconds: -1 }] }, 'endpoints', /^endpoints\[0\]\.timeoutSeconds must be a finite number of at least 0\.001; got -1$/],
    ['an endpoint timeout that is not a number', { endpoints: [{ url: webhookUrl, timeoutSeconds: '5' }] }, 'endpoints', /^endpoints\[0\]\.timeoutSeconds must be a finite number of at least 0\.001; got string$/],
  ])('rejects %s with ConfigurationError, as core does', async (_name, options, setting, message) => {
    const error = await sendWebhooks(open, options as never).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigurationError)
    expect(error).toMatchObject({ code: 'ERR_PYTRACK_CONFIGURATION', setting })
    expect((error as Error).message).toMatch(message)
    expect((error as Error).message).not.toContain('s3cr3tT0ken')
  })

  it('rejects metadata Python could not write', async () => {
    const result = new TrackingResult({ isOpenTracking: true, isClickTracking: false, metadata: { n: Number.NaN } })
    await expect(sendWebhook(result, { webhookUrl })).rejects.toMatchObject({ code: 'ERR_PYTRACK_METADATA' })
  })

  it('rejects something that is not a tracking result', async () => {
    await expect(sendWebhook({} as never, { webhookUrl })).rejects.toMatchObject({ code: 'ERR_PYTRACK_INVALID_ARGUMENT' })
  })
})
