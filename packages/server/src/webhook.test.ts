import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { getClickTrackingUrl, getOpenTrackingUrl } from '@pytrack/core'
import { generateWebhookSecret, verifyWebhook } from '@pytrack/webhook'
import { pino } from 'pino'
import { BROWSER, startTestServer, tempDir, wrapStore, type TestServer } from '../test/helpers'
import { freePort } from '../../../test-utils/ports'
import { createWatch, settle } from '../../../test-utils/wait'
import { StoreError } from './errors/store-error'
import { openSqliteEventStore } from './store/sqlite-event-store'
import type { OutboxItem } from './store/event-store'

interface Receiver {
  server: Server
  /** webhook-ids of requests answered with an error. */
  refused: string[]
  /** Verified deliveries answered 200. */
  delivered: { webhookId: string; messageId: string }[]
  close: () => Promise<void>
}

/** A webhook receiver on `port` that refuses the first `failures` requests with 503, then verifies and accepts. */
async function startReceiver(port: number, secret: string, failures: number, status = 503): Promise<Receiver> {
  const receiver: Receiver = { server: createServer(), refused: [], delivered: [], close: async () => undefined }
  receiver.server.on('request', (req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const id = String(req.headers['webhook-id'])
      if (receiver.refused.length < failures) {
        receiver.refused.push(id)
        res.writeHead(status).end()
        return
      }
      const verified = verifyWebhook(Buffer.concat(chunks), req.headers, secret)
      receiver.delivered.push({ webhookId: verified.webhookId, messageId: String(verified.result.metadata.message_id) })
      res.writeHead(204).end()
    })
  })
  await new Promise<void>((resolve) => receiver.server.listen(port, '127.0.0.1', resolve))
  receiver.close = () => new Promise((resolve) => receiver.server.close(() => resolve()))
  return receiver
}

async function deliveries(t: TestServer): Promise<OutboxItem[]> {
  const body = (await (await t.api('/api/v1/webhooks/deliveries?limit=1000')).json()) as { deliveries: OutboxItem[] }
  return body.deliveries
}

/**
 * A logger that wakes `until` on every line: the dispatcher logs each delivery outcome after
 * recording it, so a check that fails waits for the next outcome, never for a guessed time.
 */
function outcomeLog(level: 'debug' | 'error' = 'debug') {
  const lines: string[] = []
  const watch = createWatch()
  const logger = pino({ level }, { write: (line: string) => void (lines.push(line), watch.notify()) })
  const until = async (check: () => boolean | Promise<boolean>): Promise<void> => {
    for (;;) {
      const seen = lines.length
      if (await check()) return
      await watch.until(() => lines.length > seen)
    }
  }
  return { logger, lines, until }
}

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

describe('webhook forwarding through the outbox', () => {
  it('delivers every event after the receiver was down and the server restarted, with the same webhook-id on every retry', async () => {
    const dir = tempDir()
    cleanups.push(dir.remove)
    const port = await freePort()
    const secret = generateWebhookSecret()
    const settings = {
      webhookUrls: [`http://127.0.0.1:${port}/hook`],
      webhookSecret: secret,
      webhookRetryBaseMs: 50,
      webhookMaxAttempts: 1000,
    }
    const dataDir = join(dir.path, 'data')
    const log = outcomeLog()
    const first = await startTestServer(settings, dataDir, { logger: log.logger })
    const configuration = first.server.configuration
    const ids = Array.from({ length: 20 }, (_, i) => `hook-${i}`)
    for (const [i, id] of ids.entries()) {
      const link = i % 2 === 0 ? getOpenTrackingUrl({ message_id: id }, { configuration }) : getClickTrackingUrl('https://example.com/', { message_id: id }, { configuration })
      const response = await fetch(first.local(link), { headers: BROWSER, redirect: 'manual' })
      expect([200, 302]).toContain(response.status)
    }
    // The receiver is down: deliveries are tried, fail, and wait in the outbox.
    await log.until(async () => (await deliveries(first)).some((d) => d.attempts > 0 && d.lastError !== null))
    const pending = await deliveries(first)
    expect(pending).toHaveLength(20)
    expect(pending.every((d) => d.status !== 'delivered')).toBe(true)
    await first.server.close()

    // A new process on the same data folder, and the receiver comes back (refusing a few more first).
    const second = await startTestServer(settings, dataDir, { logger: log.logger })
    cleanups.push(() => second.server.close())
    const receiver = await startReceiver(port, secret, 6)
    cleanups.push(receiver.close)
    await log.until(async () => (await deliveries(second)).every((d) => d.status === 'delivered'))

    const rows = await deliveries(second)
    expect(rows.map((row) => row.webhookId).sort()).toEqual(pending.map((row) => row.webhookId).sort())
    // Every event arrived, verified, under its outbox row's webhook-id.
    expect(new Set(receiver.delivered.map((d) => d.messageId))).toEqual(new Set(ids))
    const idOf = new Map(rows.map((row) => [row.webhookId, JSON.parse(row.payload).metadata.message_id as string]))
    for (const delivery of receiver.delivered) expect(idOf.get(delivery.webhookId)).toBe(delivery.messageId)
    // The refused attempts were retried under the same webhook-id.
    expect(receiver.refused).toHaveLength(6)
    const deliveredIds = new Set(receiver.delivered.map((d) => d.webhookId))
    for (const id of receiver.refused) expect(deliveredIds.has(id)).toBe(true)
  }, 60_000)

  it('marks a delivery failed after its retry budget, shows it in the API, and sends it again on request', async () => {
    const port = await freePort()
    const secret = generateWebhookSecret()
    const receiver = await startReceiver(port, secret, 1_000_000, 500)
    cleanups.push(receiver.close)
    const log = outcomeLog()
    const t = await startTestServer(
      {
        webhookUrls: [`http://127.0.0.1:${port}/hook`],
        webhookSecret: secret,
        webhookRetryBaseMs: 20,
        webhookMaxAttempts: 2,
      },
      undefined,
      { logger: log.logger },
    )
    cleanups.push(t.stop)
    const link = getOpenTrackingUrl({ message_id: 'doomed' }, { configuration: t.server.configuration })
    expect((await fetch(t.local(link), { headers: BROWSER })).status).toBe(200)
    await log.until(async () => (await deliveries(t)).some((d) => d.status === 'failed'))
    const failed = (await (await t.api('/api/v1/webhooks/deliveries?status=failed')).json()) as { deliveries: OutboxItem[] }
    expect(failed.deliveries).toHaveLength(1)
    const [row] = failed.deliveries as [OutboxItem]
    expect(row).toMatchObject({ status: 'failed', attempts: 2, lastStatus: 500 })
    expect(row.lastError).toMatch(/500/)
    // Each attempt retried inside @pytrack/webhook too, always with the row's webhook-id.
    expect(new Set(receiver.refused)).toEqual(new Set([row.webhookId]))
    expect(receiver.refused.length).toBeGreaterThanOrEqual(2)

    receiver.refused.length = 1_000_001
    const retry = await t.api(`/api/v1/webhooks/deliveries/${row.id}/retry`, { method: 'POST' })
    expect(retry.status).toBe(202)
    await log.until(async () => (await deliveries(t)).every((d) => d.status === 'delivered'))
    expect(receiver.delivered).toEqual([{ webhookId: row.webhookId, messageId: 'doomed' }])
  }, 60_000)

  it('names a webhook by its origin only in the deliveries API, also inside the last error', async () => {
    const t = await startTestServer()
    cleanups.push(t.stop)
    const secretUrl = 'https://user:pw@hooks.example.com/services/T0/B0/s3cr3t?token=abc'
    const { outbox } = await t.server.store.recordEvent(
      {
        kind: 'open', time: Date.now(), emailId: 'm-1', metadata: { message_id: 'm-1' }, destination: null,
        clientIp: null, userAgent: null, machine: false, label: 'human', labelReason: null, requestData: null,
      },
      [{ webhookId: 'msg_secret', url: secretUrl, payload: '{}' }],
    )
    const id = (outbox[0] as { id: number }).id
    const [held] = await t.server.store.claimOutbox({ lease: 'test', limit: 1, leaseMs: 60_000, now: Date.now() + 1_000 })
    expect(held?.id).toBe(id)
    await t.server.store.failOutbox(id, 'test', { error: `webhook delivery to ${secretUrl} failed: HTTP 500 (also https://hooks.example.com/services/T0/B0/s3cr3t)`, status: 500, retryAt: null })
    const text = await (await t.api('/api/v1/webhooks/deliveries')).text()
    expect(text).not.toMatch(/s3cr3t|pw@|token=/)
    const [row] = (JSON.parse(text) as { deliveries: OutboxItem[] }).deliveries as [OutboxItem]
    expect(row.url).toBe('https://hooks.example.com')
    expect(row.lastError).toBe('webhook delivery to https://hooks.example.com failed: HTTP 500 (also https://hooks.example.com)')
  })

  it('logs, and never rejects unhandled, when the outcome of a delivery cannot be recorded', async () => {
    const port = await freePort()
    const secret = generateWebhookSecret()
    const receiver = await startReceiver(port, secret, 0)
    cleanups.push(receiver.close)
    const dir = tempDir()
    cleanups.push(dir.remove)
    const sqlite = openSqliteEventStore({ file: join(dir.path, 'pytrack.db') })
    let refusals = 0
    const store = wrapStore(sqlite, {
      completeOutbox: () => {
        refusals++
        throw new StoreError('the disk is full')
      },
    })
    const { logger, lines, until } = outcomeLog('error')
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    cleanups.push(() => void process.off('unhandledRejection', onUnhandled))
    const t = await startTestServer({ webhookUrls: [`http://127.0.0.1:${port}/hook`], webhookSecret: secret }, undefined, { store, logger })
    cleanups.push(t.stop)
    const link = getOpenTrackingUrl({ message_id: 'kept' }, { configuration: t.server.configuration })
    expect((await fetch(t.local(link), { headers: BROWSER })).status).toBe(200)
    await until(() => lines.some((line) => line.includes('outcome could not be recorded')))
    // An unhandled rejection would be reported once the queued work has run.
    await settle()
    expect(unhandled).toEqual([])
    expect(refusals).toBe(1)
    expect(receiver.delivered).toHaveLength(1)
  })
})
