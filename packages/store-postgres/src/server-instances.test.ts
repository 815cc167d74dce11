// Two `pytrack serve` processes on one PostgreSQL database, over real HTTP: they act as one
// server through a kill -9, a webhook receiver that is down, and a key that does not match.
import { createServer, type Server } from 'node:http'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { Configuration, getClickTrackingUrl, getOpenTrackingUrl } from '@pytrack/core'
import { fernetCodec, Fernet } from '@pytrack/crypto'
import { generateWebhookSecret, verifyWebhook } from '@pytrack/webhook'
import { spawnServer, type ChildServer } from '../../server/test/child-server'
import { BROWSER, TOKEN, tempDir } from '../../server/test/helpers'
import { createWatch } from '#test-utils/wait'
import { createDatabase } from '#test-utils/postgres'
import { newEvent, newOutboxItem } from '#test-utils/event-store-contract'
import { openPostgresEventStore } from './index'

const KEY = 'XdhWbQZnqCIPLBL0ViPIW2vBTsmUNxAS-7mOtTdu6ZM='
const adminUrl = inject('postgresUrl')

interface EventJson {
  id: number
  metadata: { message_id: string }
}
interface DeliveryJson {
  webhookId: string
  eventId: number
  status: string
  attempts: number
  payload: string
}

async function api<T>(server: ChildServer, path: string): Promise<T> {
  const response = await fetch(server.url + path, { headers: { authorization: `Bearer ${TOKEN}` } })
  if (response.status !== 200) throw new Error(`${path} answered ${response.status}`)
  return (await response.json()) as T
}

/** Every item of a paged listing, following nextCursor. */
async function everything<T>(server: ChildServer, path: string, field: string): Promise<T[]> {
  const items: T[] = []
  let cursor = ''
  for (;;) {
    const page = await api<Record<string, unknown>>(server, `${path}${path.includes('?') ? '&' : '?'}limit=1000${cursor ? `&cursor=${cursor}` : ''}`)
    items.push(...(page[field] as T[]))
    cursor = page.nextCursor as string
    if (page.hasMore !== true) return items
  }
}

/** Polls a remote state (another process's) until `check` holds. */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

function linkOf(configuration: Configuration, id: string, click: boolean): string {
  return click ? getClickTrackingUrl('https://www.example.com/', { message_id: id }, { configuration }) : getOpenTrackingUrl({ message_id: id }, { configuration })
}

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function instances(
  extra: Record<string, string> = {},
): Promise<{ url: string; env: (n: number) => Record<string, string>; start: (n: number, more?: Record<string, string>) => Promise<ChildServer> }> {
  const database = await createDatabase(adminUrl)
  cleanups.push(database.drop)
  const dirs = [tempDir(), tempDir(), tempDir()]
  for (const dir of dirs) cleanups.push(dir.remove)
  const env = (n: number): Record<string, string> => ({
    PYTRACK_DATABASE_URL: database.url,
    PYTRACK_KEYS: KEY,
    PYTRACK_API_TOKEN: TOKEN,
    PYTRACK_DATA_DIR: dirs[n]?.path ?? '',
    ...extra,
  })
  const start = async (n: number, more: Record<string, string> = {}): Promise<ChildServer> => {
    const server = await spawnServer({ ...env(n), ...more })
    cleanups.push(async () => {
      if (server.child.exitCode === null && server.child.signalCode === null) {
        server.child.kill('SIGTERM')
        await server.exited
      }
    })
    return server
  }
  return { url: database.url, env, start }
}

// Links name the path only: the client sends each to whichever instance it picks.
const configuration = new Configuration({ baseOpenTrackingUrl: 'http://pytrack.test/open/', baseClickTrackingUrl: 'http://pytrack.test/click/', codec: fernetCodec(KEY) })
const pathOf = (link: string): string => new URL(link).pathname

describe('several server instances on one PostgreSQL database', () => {
  it('stores every answered hit exactly once when one of two instances is killed -9 under load and restarted, and both answer the same', async () => {
    const { start } = await instances()
    const servers = await Promise.all([start(0), start(1)])
    const answered = new Set<string>()
    const watch = createWatch()
    let next = 0
    let running = true
    const client = async (lane: number): Promise<void> => {
      while (running) {
        const id = `spread-${next++}`
        // Spread over the instances the way a load balancer would: round robin.
        const server = servers[(lane + next) % 2] as ChildServer
        try {
          const response = await fetch(server.url + pathOf(linkOf(configuration, id, next % 3 === 0)), { headers: BROWSER, redirect: 'manual' })
          await response.arrayBuffer()
          if (response.status === 200 || response.status === 302) answered.add(id)
        } catch {
          // The killed instance: requests in flight fail; they were never answered.
        }
        watch.notify()
      }
    }
    const clients = Array.from({ length: 16 }, (_, lane) => client(lane))
    await watch.until(() => answered.size >= 300)
    const killed = servers[0] as ChildServer
    killed.child.kill('SIGKILL')
    expect((await killed.exited).signal).toBe('SIGKILL')
    const before = answered.size
    await watch.until(() => answered.size >= before + 150)
    servers[0] = await start(0)
    const restarted = answered.size
    await watch.until(() => answered.size >= restarted + 150)
    running = false
    await Promise.all(clients)

    const [a, b] = servers as [ChildServer, ChildServer]
    const fromA = await everything<EventJson>(a, '/api/v1/events', 'events')
    const fromB = await everything<EventJson>(b, '/api/v1/events', 'events')
    // One cursor order, whichever instance answers.
    expect(fromA).toEqual(fromB)
    const ids = fromA.map((event) => event.id)
    expect(ids).toEqual([...ids].sort((x, y) => x - y))
    const stored = fromA.map((event) => event.metadata.message_id)
    expect(new Set(stored).size).toBe(stored.length)
    expect([...answered].filter((id) => !stored.includes(id))).toEqual([])
    expect(await api(a, '/api/v1/stats?groupBy=message_id')).toEqual(await api(b, '/api/v1/stats?groupBy=message_id'))
    // Every stored hit counted once, people's and machines' (the verdicts call hits this fast machine traffic).
    const stats = await api<{ total: { opens: number; clicks: number; machineOpens: number; machineClicks: number } }>(a, '/api/v1/stats')
    expect(stats.total.opens + stats.total.clicks + stats.total.machineOpens + stats.total.machineClicks).toBe(stored.length)
  }, 180_000)

  it('delivers every event once the webhook receiver is back, with one webhook-id per event, whichever instance retries', async () => {
    const receiverServer: Server = createServer()
    await new Promise<void>((resolve) => receiverServer.listen(0, '127.0.0.1', resolve))
    const port = (receiverServer.address() as { port: number }).port
    await new Promise((resolve) => receiverServer.close(resolve))
    const secret = generateWebhookSecret()
    const { start } = await instances({
      PYTRACK_WEBHOOK_URL: `http://127.0.0.1:${port}/hook`,
      PYTRACK_WEBHOOK_SECRET: secret,
      PYTRACK_WEBHOOK_RETRY_BASE_MS: '50',
      PYTRACK_WEBHOOK_MAX_ATTEMPTS: '1000',
    })
    const servers = await Promise.all([start(0), start(1)])
    const ids = Array.from({ length: 40 }, (_, i) => `hook-${i}`)
    await Promise.all(
      ids.map(async (id, i) => {
        const response = await fetch((servers[i % 2] as ChildServer).url + pathOf(linkOf(configuration, id, i % 4 === 0)), { headers: BROWSER, redirect: 'manual' })
        expect([200, 302]).toContain(response.status)
      }),
    )
    const [a] = servers as [ChildServer, ChildServer]
    // Receiver down: attempts fail and wait in the shared outbox.
    await until(async () => (await everything<DeliveryJson>(a, '/api/v1/webhooks/deliveries', 'deliveries')).filter((d) => d.attempts > 0).length >= 10, 'failed attempts')

    const received: { webhookId: string; messageId: string }[] = []
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        const verified = verifyWebhook(Buffer.concat(chunks), req.headers, secret)
        received.push({ webhookId: verified.webhookId, messageId: String(verified.result.metadata.message_id) })
        res.writeHead(204).end()
      })
    })
    await new Promise<void>((resolve) => receiver.listen(port, '127.0.0.1', resolve))
    cleanups.push(() => new Promise<void>((resolve) => receiver.close(() => resolve())))
    await until(async () => (await everything<DeliveryJson>(a, '/api/v1/webhooks/deliveries', 'deliveries')).every((d) => d.status === 'delivered'), 'every delivery')

    const deliveries = await everything<DeliveryJson>(a, '/api/v1/webhooks/deliveries', 'deliveries')
    expect(deliveries).toHaveLength(40)
    expect(new Set(received.map((r) => r.messageId))).toEqual(new Set(ids))
    // One webhook-id per event: every request for one event (retries included) carried the same.
    const idsOf = new Map<string, Set<string>>()
    for (const { messageId, webhookId } of received) idsOf.set(messageId, (idsOf.get(messageId) ?? new Set()).add(webhookId))
    for (const [messageId, webhookIds] of idsOf) expect([messageId, webhookIds.size]).toEqual([messageId, 1])
    expect(new Set(received.map((r) => r.webhookId))).toEqual(new Set(deliveries.map((d) => d.webhookId)))
  }, 180_000)

  it('refuses to start an instance that seals links with another key than the others on the database', async () => {
    const { env, start } = await instances()
    await start(0)
    const other = await spawnServer({ ...env(1), PYTRACK_KEYS: Fernet.generateKey() }).catch((error: unknown) => error)
    expect(other).toBeInstanceOf(Error)
    expect((other as Error).message).toMatch(/exited with 2 .*another key.*same PYTRACK_KEYS/s)
    // A rotation is fine: a new first key, the old one kept to open old links.
    const rotated = await spawnServer({ ...env(2), PYTRACK_KEYS: `${Fernet.generateKey()},${KEY}` })
    cleanups.push(async () => {
      rotated.child.kill('SIGTERM')
      await rotated.exited
    })
    expect(rotated.logs.some((line) => String(line.msg).includes('key rotation'))).toBe(true)
  }, 120_000)

  it('anonymises old events by the retention job of any instance, and exports and erases a recipient through the other', async () => {
    const { url, start } = await instances()
    const day = 86_400_000
    const store = await openPostgresEventStore({ url })
    const old = Array.from({ length: 600 }, (_, i) =>
      newEvent({
        time: Date.now() - 40 * day + i,
        emailId: `message_id="m-${i % 30}"`,
        metadata: { message_id: `m-${i % 30}`, campaign: i % 2 === 0 ? 'fall' : 'spring', email: `person-${i}@example.com`, customer_id: i % 30 },
        clientIp: '198.51.100.201',
        requestData: { user_ip: '198.51.100.201', user_agent: 'Mozilla/5.0' },
      }),
    )
    await store.recordEvents(old.map((event) => ({ event, outbox: [newOutboxItem()] })))
    await store.close()
    const plain = await start(0)
    const statsBefore = await api(plain, '/api/v1/stats?groupBy=campaign')
    const keeper = await start(1, { PYTRACK_RETENTION: '30d', PYTRACK_RETENTION_DROP_KEYS: 'email' })
    await until(async () => (await everything<{ clientIp: string | null }>(plain, '/api/v1/events', 'events')).every((e) => e.clientIp === null), 'anonymised events')
    const events = await everything<{ clientIp: string | null; metadata: Record<string, unknown> }>(plain, '/api/v1/events', 'events')
    expect(events).toHaveLength(600)
    expect(events.filter((e) => 'email' in e.metadata)).toEqual([])
    expect(await api(keeper, '/api/v1/stats?groupBy=campaign')).toEqual(statsBefore)

    const post = async (server: ChildServer, path: string, body: unknown): Promise<Record<string, unknown>> => {
      const response = await fetch(server.url + path, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
      expect(response.status).toBe(200)
      return (await response.json()) as Record<string, unknown>
    }
    const subject = { key: 'customer_id', value: 7 }
    expect(await post(keeper, '/api/v1/privacy/export', subject)).toMatchObject({ count: 20 })
    expect(await post(plain, '/api/v1/privacy/erase', subject)).toEqual({ events: 20, outbox: 20 })
    expect(await post(keeper, '/api/v1/privacy/export', subject)).toMatchObject({ count: 0 })
    const stats = await api<{ total: { opens: number } }>(keeper, '/api/v1/stats')
    expect(stats.total.opens).toBe(580)
  }, 120_000)
})
