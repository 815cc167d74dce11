import type { ServerResponse } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { TrackingResult, isPytrackError } from '@pytrack/core'
import { type Answer, type Receiver, ok, startReceiver, status } from '../test/receiver'
import { settle } from '../../../test-utils/wait'
import {
  QueueClosedError,
  QueueFullError,
  WebhookQueue,
  createWebhookQueue,
  type WebhookDelivered,
  type WebhookFailed,
  type WebhookQueueOptions,
} from './index'

const receivers: Receiver[] = []
async function receiver(answer?: Answer): Promise<Receiver> {
  const r = await startReceiver(answer)
  receivers.push(r)
  return r
}
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()))
})

function result(n: number): TrackingResult {
  return new TrackingResult({ isOpenTracking: true, isClickTracking: false, metadata: { n }, timestamp: 1700000000 })
}

/** A receiver that holds every answer until the test releases it. */
async function gate(): Promise<{ r: Receiver; release(): void; arrived(n: number): Promise<void> }> {
  const held: ServerResponse[] = []
  let open = false
  const r = await receiver((_q, response) => {
    if (open) response.end('ok')
    else held.push(response)
  })
  return {
    r,
    release() {
      open = true
      for (const response of held.splice(0)) response.end('ok')
    },
    arrived: (n) => r.arrived(n),
  }
}

function recorder(options: Partial<WebhookQueueOptions> & Pick<WebhookQueueOptions, 'webhookUrl'>) {
  const delivered: WebhookDelivered[] = []
  const failed: WebhookFailed[] = []
  const overflow: QueueFullError[] = []
  const queue = createWebhookQueue({
    retry: { baseDelayMs: 5, maxDelayMs: 10 },
    onDelivered: (o) => delivered.push(o),
    onFailed: (o) => failed.push(o),
    onOverflow: (e) => overflow.push(e),
    ...options,
  })
  return { queue, delivered, failed, overflow }
}

describe('createWebhookQueue', () => {
  it('delivers everything queued, at most `concurrency` at once, and drain() waits for it', async () => {
    const g = await gate()
    const { queue, delivered, failed } = recorder({ webhookUrl: g.r.url, concurrency: 3 })
    for (let i = 0; i < 10; i++) expect(queue.enqueue(result(i))).toBe(true)
    await g.arrived(3)
    expect(queue.inFlight).toBe(3)
    expect(queue.size).toBe(7)
    g.release()
    await queue.drain()
    expect(g.r.maxOpen).toBe(3)
    expect(delivered).toHaveLength(10)
    expect(failed).toHaveLength(0)
    expect(delivered.map((o) => o.result.metadata.n).sort((a, b) => Number(a) - Number(b))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(queue.size + queue.inFlight).toBe(0)
  })

  it('refuses with false and onOverflow (ERR_PYTRACK_QUEUE_FULL) when capacity deliveries wait', async () => {
    const g = await gate()
    const { queue, delivered, overflow } = recorder({ webhookUrl: g.r.url, concurrency: 1, capacity: 2 })
    expect(queue.enqueue(result(0))).toBe(true) // in flight
    await g.arrived(1)
    expect(queue.enqueue(result(1))).toBe(true)
    expect(queue.enqueue(result(2))).toBe(true)
    expect(queue.enqueue(result(3))).toBe(false)
    expect(overflow).toHaveLength(1)
    expect(overflow[0]).toBeInstanceOf(QueueFullError)
    expect(isPytrackError(overflow[0], 'ERR_PYTRACK_QUEUE_FULL')).toBe(true)
    expect(overflow[0]?.capacity).toBe(2)
    g.release()
    await queue.drain()
    expect(delivered.map((o) => o.result.metadata.n)).toEqual([0, 1, 2])
  })

  it('makes enqueueAndWait wait for room (backpressure)', async () => {
    const g = await gate()
    const { queue, delivered } = recorder({ webhookUrl: g.r.url, concurrency: 1, capacity: 1 })
    await queue.enqueueAndWait(result(0))
    await g.arrived(1)
    await queue.enqueueAndWait(result(1))
    let admitted = false
    const waiting = queue.enqueueAndWait(result(2)).then(() => {
      admitted = true
    })
    // Room comes only from a delivery ending, and the gate holds the one in flight.
    await settle()
    expect(admitted).toBe(false)
    // While someone waits, enqueue does not jump the line.
    expect(queue.enqueue(result(3))).toBe(false)
    g.release()
    await waiting
    await queue.drain()
    expect(delivered.map((o) => o.result.metadata.n)).toEqual([0, 1, 2])
  })

  it('ends failures in onFailed, with the reason', async () => {
    const r = await receiver(status(400))
    const { queue, delivered, failed } = recorder({ webhookUrl: r.url })
    queue.enqueue(result(1))
    await queue.drain()
    expect(delivered).toHaveLength(0)
    expect(failed).toHaveLength(1)
    expect(failed[0]).toMatchObject({ delivered: false, status: 400, attempts: 1 })
    expect(failed[0]?.error.code).toBe('ERR_PYTRACK_WEBHOOK_DELIVERY')
  })

  it('ends every accepted delivery exactly once, in onDelivered or onFailed', async () => {
    // Answers vary by request: some succeed, some fail for good, some after retries.
    const answers: Answer[] = [ok, status(500), status(404), ok, status(503), status(429)]
    const r = await receiver((q, response, i, raw) => (answers[i % answers.length] as Answer)(q, response, i, raw))
    const { queue, delivered, failed } = recorder({ webhookUrl: r.url, concurrency: 4, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 } })
    const ids: string[] = []
    for (let i = 0; i < 60; i++) {
      const webhookId = `evt_${i}`
      ids.push(webhookId)
      expect(queue.enqueue(result(i), { webhookId })).toBe(true)
    }
    await queue.drain()
    const ended = [...delivered, ...failed].map((o) => o.webhookId).sort()
    expect(ended).toEqual(ids.sort())
    expect(delivered.length).toBeGreaterThan(0)
    expect(failed.length).toBeGreaterThan(0)
  })

  it('fans out to endpoints per event kind, one delivery per receiver', async () => {
    const opens = await receiver()
    const clicks = await receiver()
    const { queue, delivered } = recorder({
      webhookUrl: undefined,
      endpoints: [
        { url: opens.url, events: ['open'] },
        { url: clicks.url, events: ['click'] },
      ],
    })
    queue.enqueue(result(1))
    queue.enqueue(new TrackingResult({ isOpenTracking: false, isClickTracking: true, trackedUrl: 'https://e.com/' }))
    await queue.drain()
    expect(delivered.map((o) => o.url).sort()).toEqual([clicks.url, opens.url].sort())
    expect(opens.requests).toHaveLength(1)
    expect(clicks.requests).toHaveLength(1)
  })

  it('reports a refused link URL with nothing to fall back to in onFailed', async () => {
    const { queue, failed } = recorder({ webhookUrl: undefined, allowedWebhookOrigins: ['https://hooks.example.com'] })
    queue.enqueue(new TrackingResult({ isOpenTracking: true, isClickTracking: false, webhookUrl: 'http://evil.example.net/' }))
    await queue.drain()
    expect(failed).toHaveLength(1)
    expect(failed[0]?.error.code).toBe('ERR_PYTRACK_WEBHOOK_URL_NOT_ALLOWED')
    expect(failed[0]?.rejectedWebhookUrl).toBe('http://evil.example.net/')
  })
})

describe('close', () => {
  it('waits for queued and in-flight deliveries, then refuses new ones', async () => {
    const g = await gate()
    const { queue, delivered } = recorder({ webhookUrl: g.r.url, concurrency: 1 })
    queue.enqueue(result(0))
    queue.enqueue(result(1))
    await g.arrived(1)
    let closed = false
    const closing = queue.close().then(() => {
      closed = true
    })
    expect(queue.closed).toBe(true)
    expect(() => queue.enqueue(result(2))).toThrow(QueueClosedError)
    await expect(queue.enqueueAndWait(result(2))).rejects.toMatchObject({ code: 'ERR_PYTRACK_QUEUE_CLOSED' })
    // The gate holds the delivery in flight, so nothing can let close() finish yet.
    await settle()
    expect(closed).toBe(false)
    g.release()
    await closing
    expect(delivered).toHaveLength(2)
  })

  it('rejects callers waiting for room', async () => {
    const g = await gate()
    const { queue } = recorder({ webhookUrl: g.r.url, concurrency: 1, capacity: 1 })
    queue.enqueue(result(0))
    await g.arrived(1)
    queue.enqueue(result(1))
    const waiting = queue.enqueueAndWait(result(2))
    const closing = queue.close()
    await expect(waiting).rejects.toBeInstanceOf(QueueClosedError)
    g.release()
    await closing
  })

  it('with discardQueued, ends waiting deliveries in onFailed with ERR_PYTRACK_QUEUE_CLOSED', async () => {
    const g = await gate()
    const { queue, delivered, failed } = recorder({ webhookUrl: g.r.url, concurrency: 1 })
    for (let i = 0; i < 4; i++) queue.enqueue(result(i))
    await g.arrived(1)
    const closing = queue.close({ discardQueued: true })
    expect(failed).toHaveLength(3)
    expect(failed.every((o) => o.error.code === 'ERR_PYTRACK_QUEUE_CLOSED' && o.attempts === 0)).toBe(true)
    g.release()
    await closing
    expect(delivered).toHaveLength(1)
  })

  it('with abortInFlight, ends running deliveries in onFailed without waiting for the receiver', async () => {
    const g = await gate()
    const { queue, failed } = recorder({ webhookUrl: g.r.url, concurrency: 2 })
    queue.enqueue(result(0))
    queue.enqueue(result(1))
    await g.arrived(2)
    await queue.close({ abortInFlight: true })
    expect(failed).toHaveLength(2)
    expect(failed.every((o) => o.attempts === 1 && /closed with abortInFlight/.test(o.error.message))).toBe(true)
  })

  it('with abortInFlight, ends the queued deliveries too, without sending them or counting an attempt', async () => {
    const g = await gate()
    const { queue, failed } = recorder({ webhookUrl: g.r.url, concurrency: 1 })
    for (let i = 0; i < 3; i++) queue.enqueue(result(i))
    await g.arrived(1)
    await queue.close({ abortInFlight: true })
    expect(failed).toHaveLength(3)
    expect(g.r.requests).toHaveLength(1)
    expect(failed.map((o) => o.attempts)).toEqual([1, 0, 0])
    expect(failed.every((o) => o.error.code === 'ERR_PYTRACK_WEBHOOK_DELIVERY' && /closed with abortInFlight/.test(o.error.message))).toBe(true)
  })
})

describe('queue options', () => {
  it('require onFailed and somewhere to post', () => {
    expect(() => createWebhookQueue({ webhookUrl: 'https://hooks.example.com/' } as never)).toThrow(/onFailed is required/)
    expect(() => createWebhookQueue({ onFailed: () => {} })).toThrow(/no webhook to post to/)
    expect(() => createWebhookQueue({ webhookUrl: 'https://hooks.example.com/', onFailed: () => {}, concurrency: 0 })).toThrow(
      /concurrency/,
    )
    // Values String() cannot print still get the typed error.
    for (const bad of [{ capacity: Object.create(null) }, { retry: { attempts: Object.create(null) } }]) {
      const build = () => createWebhookQueue({ webhookUrl: 'https://hooks.example.com/', onFailed: () => {}, ...bad })
      expect(build).toThrow(expect.objectContaining({ code: 'ERR_PYTRACK_INVALID_ARGUMENT' }))
    }
    expect(createWebhookQueue({ webhookUrl: 'https://hooks.example.com/', onFailed: () => {} })).toBeInstanceOf(WebhookQueue)
  })
})
