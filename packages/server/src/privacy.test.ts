// Privacy by design, over real HTTP and a real SQLite file: what is written of a client, the
// retention job, do-not-track links, and access and erasure requests.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { createWatch } from '../../../test-utils/wait'
import { startReceiver, type Receiver } from '../../webhook/test/receiver'
import { newEvent, newOutboxItem } from '../../../test-utils/event-store-contract'
import { BROWSER, startTestServer, tempDir, type TestServer } from '../test/helpers'
import { networkOf, requestDataUnder, userAgentFamily } from './_internal/privacy'
import { openSqliteEventStore } from './store/sqlite-event-store'
import type { ServerSettings } from './settings'

const running: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const stop of running.splice(0).reverse()) await stop()
})

async function start(overrides: Partial<ServerSettings> = {}, dataDir?: string, logLines?: Record<string, unknown>[], notify?: () => void): Promise<TestServer> {
  const logger =
    logLines === undefined
      ? undefined
      : pino(
          { level: 'info' },
          new Writable({
            write(chunk: Buffer, _encoding, done) {
              for (const line of String(chunk).split('\n')) if (line !== '') logLines.push(JSON.parse(line) as Record<string, unknown>)
              notify?.()
              done()
            },
          }),
        )
  // A folder of the test's own, so the database can still be read once the server stopped.
  let folder = dataDir
  if (folder === undefined) {
    const dir = tempDir()
    running.push(async () => dir.remove())
    folder = join(dir.path, 'data')
  }
  const t = await startTestServer(overrides, folder, logger === undefined ? {} : { logger })
  running.push(t.stop)
  return t
}

async function link(t: TestServer, kind: 'open' | 'click', metadata: Record<string, unknown>, url?: string): Promise<string> {
  const response = await t.api(`/api/v1/links/${kind}`, { method: 'POST', json: url === undefined ? { metadata } : { url, metadata } })
  expect(response.status).toBe(201)
  return t.local(((await response.json()) as { url: string }).url)
}

/** Every byte SQLite has on disk for the database: the file, its WAL and shared memory. */
function databaseBytes(dataDir: string): string {
  return ['pytrack.db', 'pytrack.db-wal', 'pytrack.db-shm']
    .map((name) => join(dataDir, name))
    .filter((path) => existsSync(path))
    .map((path) => readFileSync(path).toString('latin1'))
    .join('\n')
}

/** The events the API lists (the first page, up to 100). */
async function listed<T = Record<string, unknown>>(t: TestServer): Promise<T[]> {
  return ((await (await t.api('/api/v1/events')).json()) as { events: T[] }).events
}

async function receiver(): Promise<Receiver & { bodies: () => string }> {
  const hook = await startReceiver()
  running.push(() => hook.close())
  return Object.assign(hook, { bodies: () => hook.requests.map((r) => String(r.body)).join('\n') })
}

describe('what is written of a client', () => {
  it('cuts addresses to their network and User-Agents to their family', () => {
    const networks: [string, string | null][] = [
      ['198.51.100.77', '198.51.100.0'],
      ['::ffff:198.51.100.77', '198.51.100.0'],
      ['2001:db8:abcd:1234::77', '2001:db8:abcd::'],
      ['2001:0db8::1', '2001:db8:0::'],
      ['2001::1:2:3:4:5:6', '2001:0:1::'],
      ['::1', '0:0:0::'],
      ['fe80::1%eth0', 'fe80:0:0::'],
      ['not an address', null],
    ]
    for (const [address, network] of networks) expect(networkOf(address), address).toBe(network)
    const families: [string, string][] = [
      [BROWSER['user-agent'], 'Safari 17'],
      ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36', 'Chrome 120'],
      ['Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17029; Pro)', 'Outlook 16'],
      ['Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Thunderbird/115.3.1', 'Thunderbird 115'],
      ['Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)', 'GoogleImageProxy'],
      ['', 'other'],
      ['\u0000\uffff', 'other'],
    ]
    for (const [userAgent, family] of families) expect(userAgentFamily(userAgent), userAgent).toBe(family)
    expect(requestDataUnder({ address: 'none', userAgent: 'none' }, { user_ip: '1.2.3.4', user_agent: 'x', referer: 'https://mail.example/u/0/box/9', method: 'GET' })).toEqual({ referer: 'https://mail.example', method: 'GET' })
    const data = { user_ip: '1.2.3.4', user_agent: 'x' }
    expect(requestDataUnder({ address: 'full', userAgent: 'full' }, data)).toBe(data)
  })

  it('with truncation on, no full address or User-Agent reaches the database file or its WAL, webhook payloads included', async () => {
    const hook = await receiver()
    const t = await start({ clientAddress: 'network', clientUserAgent: 'family', trustedProxies: ['127.0.0.1'], webhookUrls: [hook.url] })
    const metadata = { message_id: 'priv-1' }
    const clients = ['198.51.100.77', '2001:db8:abcd:1234::77']
    for (const ip of clients) {
      const headers = { ...BROWSER, 'x-forwarded-for': ip, referer: 'https://mail.example.com/u/0/inbox/secret-box' }
      expect((await fetch(await link(t, 'open', metadata), { headers })).status).toBe(200)
      expect((await fetch(await link(t, 'click', metadata, 'https://example.com/x'), { headers, redirect: 'manual' })).status).toBe(302)
    }
    const events = await listed<{ clientIp: string; userAgent: string; label: string; requestData: Record<string, unknown> }>(t)
    expect(events.map((e) => e.clientIp)).toEqual(['198.51.100.0', '198.51.100.0', '2001:db8:abcd::', '2001:db8:abcd::'])
    expect(new Set(events.map((e) => e.userAgent))).toEqual(new Set(['Safari 17']))
    expect(events.map((e) => e.label)).toEqual(['human', 'human', 'human', 'human'])
    expect(events[0]?.requestData).toMatchObject({ user_ip: '198.51.100.0', user_agent: 'Safari 17', referer: 'https://mail.example.com' })
    // The webhooks are delivered (their payloads were in the outbox), cut down the same way.
    await hook.arrived(4)
    const written = databaseBytes(t.dataDir)
    expect(written).toContain('198.51.100.0')
    for (const secret of [...clients, '2001:db8:abcd:1234', 'Version/17.0', 'secret-box']) {
      expect(written, `${secret} in the database`).not.toContain(secret)
      expect(hook.bodies(), `${secret} in a webhook`).not.toContain(secret)
    }
    await t.stop()
    for (const secret of clients) expect(databaseBytes(t.dataDir)).not.toContain(secret)
  })

  it('with `none`, stores no address or User-Agent but still labels from them first', async () => {
    const t = await start({ clientAddress: 'none', clientUserAgent: 'none' })
    const headers = { 'user-agent': 'Mozilla/5.0 (via ggpht.com GoogleImageProxy)' }
    expect((await fetch(await link(t, 'open', { message_id: 'p2' }), { headers })).status).toBe(200)
    const [event] = await listed(t)
    expect(event).toMatchObject({ clientIp: null, userAgent: null, label: 'mail-proxy' })
    expect(event?.requestData).not.toHaveProperty('user_ip')
    expect(event?.requestData).not.toHaveProperty('user_agent')
  })
})

describe('do-not-track', () => {
  it('answers the pixel and the redirect as usual and stores nothing, forwards nothing', async () => {
    const hook = await receiver()
    const t = await start({ webhookUrls: [hook.url] })
    const pixel = await fetch(await link(t, 'open', { message_id: 'dnt', track: false }), { headers: BROWSER })
    expect([pixel.status, pixel.headers.get('content-type')]).toEqual([200, 'image/png'])
    const redirect = await fetch(await link(t, 'click', { message_id: 'dnt', track: false }, 'https://example.com/dnt'), { headers: BROWSER, redirect: 'manual' })
    expect([redirect.status, redirect.headers.get('location')]).toEqual([302, 'https://example.com/dnt'])
    // A tracked hit after them is stored and delivered: the two before it were not.
    expect((await fetch(await link(t, 'open', { message_id: 'tracked', track: true }), { headers: BROWSER })).status).toBe(200)
    await hook.arrived(1)
    const events = await listed<{ metadata: unknown }>(t)
    expect(events.map((e) => e.metadata)).toEqual([{ message_id: 'tracked', track: true }])
    expect(((await (await t.api('/api/v1/webhooks/deliveries')).json()) as { deliveries: unknown[] }).deliveries).toHaveLength(1)
    expect(hook.bodies()).toContain('tracked')
  })
})

describe('retention', () => {
  it('anonymises old events at start, keeps stats as they were, and leaves recent ones whole', async () => {
    const dir = tempDir()
    running.push(async () => dir.remove())
    const dataDir = join(dir.path, 'data')
    const store = openSqliteEventStore({ file: join(dataDir, 'pytrack.db') })
    const day = 86_400_000
    const old = Array.from({ length: 1_200 }, (_, i) =>
      newEvent({
        time: Date.now() - 40 * day + i,
        kind: i % 3 === 0 ? 'click' : 'open',
        destination: i % 3 === 0 ? 'https://example.com/' : null,
        emailId: `message_id="m-${i % 50}"`,
        machine: i % 7 === 0,
        label: i % 7 === 0 ? 'scanner' : 'human',
        metadata: { message_id: `m-${i % 50}`, campaign: i % 2 === 0 ? 'fall' : 'spring', email: `person-${i}@example.com` },
        clientIp: '198.51.100.201',
        requestData: { user_ip: '198.51.100.201', user_agent: 'Mozilla/5.0' },
      }),
    )
    store.recordEvents(old.map((event) => ({ event, outbox: [newOutboxItem()] })))
    store.recordEvent(newEvent({ metadata: { message_id: 'recent', campaign: 'fall', email: 'recent@example.com' } }), [])
    store.close()

    const logs: Record<string, unknown>[] = []
    const watch = createWatch()
    // No retention first: the stats as they are.
    const before = await start({}, dataDir)
    const statsBefore = await (await before.api('/api/v1/stats?groupBy=campaign')).json()
    await before.stop()

    const t = await start({ retentionMs: 30 * day, retentionDropKeys: ['email'] }, dataDir, logs, () => watch.notify())
    await watch.until(() => logs.find((line) => line.msg === 'retention: anonymised old events'))
    expect(logs.find((line) => line.msg === 'retention: anonymised old events')).toMatchObject({ events: 1_200 })
    expect(await (await t.api('/api/v1/stats?groupBy=campaign')).json()).toEqual(statsBefore)
    let events: { clientIp: string | null; metadata: Record<string, unknown>; requestData: Record<string, unknown> | null }[] = []
    let cursor = ''
    for (;;) {
      const page = (await (await t.api(`/api/v1/events?limit=1000${cursor}`)).json()) as { events: typeof events; nextCursor: string; hasMore: boolean }
      events = [...events, ...page.events]
      cursor = `&cursor=${page.nextCursor}`
      if (!page.hasMore) break
    }
    expect(events).toHaveLength(1_201)
    expect(events.slice(0, 1_200).every((e) => e.clientIp === null && !('email' in e.metadata) && e.requestData !== null && !('user_ip' in e.requestData))).toBe(true)
    expect(events[1_200]).toMatchObject({ clientIp: '203.0.113.9', metadata: { email: 'recent@example.com' } })
    await t.stop()
    const bytes = databaseBytes(dataDir)
    expect(bytes).not.toContain('198.51.100.201')
    expect(bytes).not.toContain('person-7@example.com')
  })

  it('deletes old events and prunes delivered webhook rows after their own retention', async () => {
    const dir = tempDir()
    running.push(async () => dir.remove())
    const dataDir = join(dir.path, 'data')
    const store = openSqliteEventStore({ file: join(dataDir, 'pytrack.db') })
    const day = 86_400_000
    const { outbox } = store.recordEvent(newEvent({ time: Date.now() - 2 * day }), [newOutboxItem(), newOutboxItem()])
    store.recordEvent(newEvent({ time: Date.now() - 10 * day }), [])
    store.recordEvent(newEvent(), [])
    const [delivered] = store.claimOutbox({ lease: 'l', limit: 1, leaseMs: 60_000 })
    expect(delivered?.id).toBe(outbox[0]?.id)
    store.completeOutbox(delivered?.id as number, 'l', 200)
    store.close()
    const logs: Record<string, unknown>[] = []
    const watch = createWatch()
    const t = await start({ retentionMs: 5 * day, retentionMode: 'delete', deliveredRetentionMs: 1 }, dataDir, logs, () => watch.notify())
    // Delivered before the server started: more than 1 ms old at the job's first pass.
    await watch.until(() => logs.find((line) => line.msg === 'retention: pruned delivered webhook deliveries'))
    expect(logs.find((line) => line.msg === 'retention: deleted old events')).toMatchObject({ events: 1 })
    const events = await listed(t)
    expect(events).toHaveLength(2)
    const deliveries = ((await (await t.api('/api/v1/webhooks/deliveries')).json()) as { deliveries: { id: number; status: string }[] }).deliveries
    // The row never delivered stays (the dispatcher may have tried it meanwhile).
    expect(deliveries.map((d) => d.id)).toEqual([outbox[1]?.id])
    expect(deliveries[0]?.status).not.toBe('delivered')
  })
})

describe('access and erasure', () => {
  it('exports and erases every event of a recipient or an email, outbox rows included, and logs no subject', async () => {
    const hook = await receiver()
    const logs: Record<string, unknown>[] = []
    const t = await start({ webhookUrls: [hook.url] }, undefined, logs)
    const person = { customer_id: 'cust-4242-marker', message_id: 'erase-1' }
    const other = { customer_id: 'cust-77', message_id: 'erase-2' }
    for (const metadata of [person, other, { ...person, message_id: 'erase-3' }]) {
      expect((await fetch(await link(t, 'open', metadata), { headers: BROWSER })).status).toBe(200)
      expect((await fetch(await link(t, 'click', metadata, 'https://example.com/p'), { headers: BROWSER, redirect: 'manual' })).status).toBe(302)
    }
    await hook.arrived(6)

    const exported = (await (await t.api('/api/v1/privacy/export', { method: 'POST', json: { key: 'customer_id', value: 'cust-4242-marker' } })).json()) as { events: { metadata: Record<string, unknown> }[]; count: number }
    expect(exported.count).toBe(4)
    expect(exported.events.every((e) => e.metadata.customer_id === 'cust-4242-marker')).toBe(true)
    const byEmail = (await (await t.api('/api/v1/privacy/export', { method: 'POST', json: { emailId: 'message_id="erase-2"' } })).json()) as { count: number }
    expect(byEmail.count).toBe(2)

    expect(databaseBytes(t.dataDir)).toContain('cust-4242-marker')
    const erase = await t.api('/api/v1/privacy/erase', { method: 'POST', json: { key: 'customer_id', value: 'cust-4242-marker' } })
    expect([erase.status, await erase.json()]).toEqual([200, { events: 4, outbox: 4 }])
    expect(databaseBytes(t.dataDir)).not.toContain('cust-4242-marker')
    const left = await listed<{ metadata: unknown }>(t)
    expect(left.map((e) => e.metadata)).toEqual([other, other])
    expect(((await (await t.api('/api/v1/webhooks/deliveries')).json()) as { deliveries: unknown[] }).deliveries).toHaveLength(2)
    expect(await (await t.api('/api/v1/privacy/erase', { method: 'POST', json: { key: 'customer_id', value: 'cust-4242-marker' } })).json()).toEqual({ events: 0, outbox: 0 })
    const logged = logs.find((line) => line.msg === 'privacy erasure')
    expect(logged).toMatchObject({ by: 'customer_id', events: 4, outbox: 4 })
    expect(JSON.stringify(logs)).not.toContain('cust-4242-marker')

    for (const body of [{}, { key: 'customer_id' }, { key: 'customer_id', value: null }, { emailId: '' }, { key: 'a b', value: 1 }, { emailId: 'x', key: 'k', value: 1 }]) {
      const refused = await t.api('/api/v1/privacy/erase', { method: 'POST', json: body })
      expect(refused.status, JSON.stringify(body)).toBe(400)
    }
    await t.stop()
    expect(databaseBytes(t.dataDir)).not.toContain('cust-4242-marker')
  })
})
