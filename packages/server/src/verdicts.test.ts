// Machine verdicts over real HTTP: a real server on a simulated clock (no test waits for real
// seconds), hits sent with fetch, the events read back through the API (each answer checked
// against the OpenAPI document by test/setup.ts), and the `reclassified`
// webhooks received by a real receiver and verified with @pytrack/webhook.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Fernet } from '@pytrack/crypto'
import { adaptHtml } from '@pytrack/html'
import { generateWebhookSecret, verifyWebhookSignature } from '@pytrack/webhook'
import { startReceiver, type Receiver } from '../../webhook/test/receiver'
import { startTestServer, type TestServer } from '../test/helpers'
import { APPLE_RANGES, driveTraffic, planTraffic, scoreTraffic, simulatedClock } from '../test/traffic'
import { createWatch } from '../../../test-utils/wait'
import type { TrackingEvent } from './store/event-store'

const CHROME = {
  'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/90.0.4430.212 Safari/537.36',
  accept: 'text/html,*/*;q=0.8',
  'accept-language': 'en-US',
}

interface Reclassified {
  webhookId: string
  payload: { type: string; event_id: number; events: { id: number; label: string; first_label: string; previous_label: string; machine: boolean }[] }
}

const secret = generateWebhookSecret()
const key = Fernet.generateKey()
const arrivals = createWatch()
let receiver: Receiver
// An hour ago: the links (Fernet tokens made now, by the real clock) are "from the future" to
// the server, so no rule of time since sending fires unless a test gives `sent_at`.
const clock = simulatedClock(Date.now() - 3_600_000)
let t: TestServer

beforeAll(async () => {
  receiver = await startReceiver((request, response) => {
    response.writeHead(204).end()
    setImmediate(() => arrivals.notify())
  })
  t = await startTestServer(
    { webhookUrls: [receiver.url], webhookSecret: secret, trustedProxies: ['loopback'], keys: [key] },
    undefined,
    { verdicts: true, clock: clock.now, classification: { applePrivateRelayRanges: APPLE_RANGES } },
  )
})
afterAll(async () => {
  await t.stop()
  await receiver.close()
})

async function eventsOf(messageId: string): Promise<TrackingEvent[]> {
  const all: TrackingEvent[] = []
  let cursor = ''
  for (;;) {
    const response = await t.api(`/api/v1/events?limit=1000${cursor}`)
    const body = (await response.json()) as { events: TrackingEvent[]; nextCursor: string | null; hasMore: boolean }
    all.push(...body.events)
    if (!body.hasMore) return all.filter((event) => event.metadata.message_id === messageId)
    cursor = `&cursor=${body.nextCursor}`
  }
}

async function hit(link: string, ip: string, at: number): Promise<void> {
  clock.set(at)
  const response = await fetch(t.local(link), { headers: { ...CHROME, 'x-forwarded-for': ip }, redirect: 'manual' })
  await response.arrayBuffer()
  expect([200, 302]).toContain(response.status)
}

/** The verified `reclassified` deliveries so far that name one of `ids`. */
function reclassified(ids: readonly number[]): Reclassified[] {
  return receiver.requests
    .map((request) => verifyWebhookSignature(request.body, request.headers, secret) as unknown as Reclassified)
    .filter(({ payload }) => payload.type === 'reclassified' && payload.events.some((event) => ids.includes(event.id)))
}

function email(messageId: string, links: number, options: { trapLink?: boolean; sentAt?: number } = {}): { links: string[]; trap: string | null; pixel: string } {
  const html = `<body>${Array.from({ length: links }, (_, i) => `<a href="https://shop.example.com/${messageId}/${i}">${i}</a>`).join(' ')}</body>`
  const metadata = options.sentAt === undefined ? { message_id: messageId } : { message_id: messageId, sent_at: options.sentAt }
  const result = adaptHtml(html, metadata, { configuration: t.server.configuration, trapLink: options.trapLink ?? false })
  return { links: result.links.map((link) => link.trackingUrl), trap: result.trapLink?.trackingUrl ?? null, pixel: result.pixel!.url }
}

describe('machine verdicts across the hits of one email, over HTTP', () => {
  it('a trap click two seconds later relabels the click before it, in the API and by a signed reclassified webhook of its own', async () => {
    const { links, trap } = email('verdict-trap', 3, { trapLink: true })
    const start = clock.now() + 1_000
    await hit(links[0]!, '198.51.100.7', start)
    const [first] = await eventsOf('verdict-trap')
    expect(first).toMatchObject({ label: 'human', machine: false, firstLabel: 'human', firstMachine: false })

    await hit(trap!, '203.0.113.99', start + 2_000)
    const [delivery] = await arrivals.until(() => reclassified([first!.id]).length > 0 && reclassified([first!.id]))
    expect(delivery!.payload.events).toEqual([
      expect.objectContaining({ id: first!.id, kind: 'click', first_label: 'human', previous_label: 'human', label: 'trap', machine: true }),
    ])
    const stored = await eventsOf('verdict-trap')
    expect(delivery!.payload.event_id).toBe(stored[1]!.id)
    expect(stored.map((event) => [event.firstLabel, event.label, event.machine])).toEqual([
      ['human', 'trap', true],
      ['trap', 'trap', true],
    ])
    expect(stored[0]!.labels.map((label) => [label.label, label.machine])).toEqual([['human', false], ['trap', true]])
    // The trap click itself was a machine's when answered; its per-hit label (human) stays first in its labels.
    expect(stored[1]!.labels.map((label) => label.label)).toEqual(['human', 'trap'])
    // Its own webhook-id: not the one of any open or click delivery.
    const trackingIds = receiver.requests.filter((request) => !String(request.body).includes('"reclassified"')).map((request) => request.headers['webhook-id'])
    expect(trackingIds.length).toBeGreaterThanOrEqual(2)
    expect(trackingIds).not.toContain(delivery!.webhookId)
  })

  it('the third link of a burst is a machine click when answered, relabels the two before it, and the stats say so', async () => {
    const before = (await (await t.api('/api/v1/stats')).json()) as { total: { clicks: number }; verdicts: { perHit: { clicks: number }; machineClicksByReason: Record<string, number> } }
    const { links } = email('verdict-burst', 3)
    const start = clock.now() + 60_000
    await hit(links[0]!, '203.0.113.10', start)
    await hit(links[1]!, '203.0.113.11', start + 1_500)
    await hit(links[2]!, '203.0.113.12', start + 3_000)
    const clicks = await eventsOf('verdict-burst')
    expect(clicks.map((event) => event.firstLabel)).toEqual(['human', 'human', 'burst'])
    const ids = clicks.slice(0, 2).map((event) => event.id)
    const [delivery] = await arrivals.until(() => reclassified(ids).length > 0 && reclassified(ids))
    expect(delivery!.payload.events.map((event) => [event.id, event.label])).toEqual(ids.map((id) => [id, 'burst']))
    const after = await eventsOf('verdict-burst')
    expect(after.map((event) => [event.label, event.machine])).toEqual([['burst', true], ['burst', true], ['burst', true]])
    const stats = (await (await t.api('/api/v1/stats')).json()) as typeof before
    expect(stats.verdicts.machineClicksByReason.burst! - (before.verdicts.machineClicksByReason.burst ?? 0)).toBe(3)
    // Per-hit labels alone would have counted three people's clicks; after the verdicts, none.
    expect(stats.verdicts.perHit.clicks - before.verdicts.perHit.clicks).toBe(3)
    expect(stats.total.clicks - before.total.clicks).toBe(0)
  })

  it('reads the send time of a link from sent_at: a click 1 s after sending is too soon, an open and a click together at delivery a scan', async () => {
    const sentAt = clock.now() + 60_000
    const { links, pixel } = email('verdict-soon', 2, { sentAt })
    await hit(links[0]!, '81.2.69.1', sentAt + 1_000)
    await hit(pixel, '40.94.7.1', sentAt + 20_000)
    await hit(links[1]!, '40.94.7.2', sentAt + 21_000)
    const events = await eventsOf('verdict-soon')
    expect(events.map((event) => event.firstLabel)).toEqual(['too-soon', 'human', 'delivery-scan'])
    await arrivals.until(() => reclassified([events[1]!.id]).length > 0)
    expect((await eventsOf('verdict-soon')).map((event) => event.label)).toEqual(['too-soon', 'delivery-scan', 'delivery-scan'])
  })

  it('finds the machine clicks of generated traffic that per-hit labels miss, and leaves people alone', async () => {
    const { baseOpenTrackingUrl, baseClickTrackingUrl } = t.server.configuration
    const plan = planTraffic({ seed: 7, recipients: 80, start: clock.now() + 600_000, key, openBase: baseOpenTrackingUrl!, clickBase: baseClickTrackingUrl!, clock })
    const before = await allIds()
    await driveTraffic(plan, t.server.url, clock)
    const events = (await allEvents()).filter((event) => !before.has(event.id))
    const report = scoreTraffic(plan, events)
    expect(report.clicks.verdicts.recall).toBeGreaterThanOrEqual(0.9)
    expect(report.clicks.verdicts.precision).toBeGreaterThanOrEqual(0.9)
    expect(report.clicks.perHit.recall).toBeLessThan(0.5)
    expect(Math.abs(report.uniqueClicks.verdicts - report.uniqueClicks.truth)).toBeLessThanOrEqual(Math.ceil(report.uniqueClicks.truth * 0.1))
  })
})

async function allEvents(): Promise<TrackingEvent[]> {
  const all: TrackingEvent[] = []
  for (let after = 0; ; ) {
    const page = await t.server.store.listEvents({ after, limit: 1000 })
    all.push(...page.items)
    after = page.items.at(-1)?.id ?? after
    if (!page.hasMore) return all
  }
}

async function allIds(): Promise<Set<number>> {
  return new Set((await allEvents()).map((event) => event.id))
}
