// pnpm bench: the time queries and stats on a million events (SQLite): counts over time, top
// destinations and stats, as the dashboard asks for them. The first query of a key builds its hourly
// counts from the events (once); every later one adds only the events recorded since.
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { NewTrackingEvent, RecordRequest } from '../src/store/event-store'
import { openSqliteEventStore } from '../src/store/sqlite-event-store'
import { loadSettings } from '../src/settings'
import { startServer } from '../src/server'

const EVENTS = 1_000_000
const DAYS = 30
const CAMPAIGNS = 20
const RUNS = 30
const now = Date.now()
const start = now - DAYS * 86_400_000

// The bench workload's metadata and destination, over 20 campaigns and 30 days: 10% clicks,
// 30% machine opens, 200,000 emails.
function event(n: number): NewTrackingEvent {
  const click = n % 10 === 0
  const machine = !click && n % 10 < 3
  const email = n % 200_000
  return {
    kind: click ? 'click' : 'open',
    time: start + Math.floor((n / EVENTS) * DAYS * 86_400_000),
    emailId: `customer_id=${email}`,
    metadata: { customer_id: email, campaign: `fall-2026-${email % CAMPAIGNS}`, list: 'weekly' },
    destination: click ? `https://www.example.com/products/autumn-sale-${n % 7}?utm_source=newsletter&utm_medium=email` : null,
    clientIp: '203.0.113.9',
    userAgent: 'Mozilla/5.0',
    machine,
    label: machine ? 'privacy-prefetch' : 'human',
    labelReason: null,
    requestData: null,
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const began = performance.now()
  await run()
  return performance.now() - began
}

const dir = mkdtempSync(join(tmpdir(), 'pytrack-bench-stats-'))
try {
  const store = openSqliteEventStore({ file: join(dir, 'pytrack.db') })
  console.log(`@pytrack/server time queries: Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores`)
  const loading = performance.now()
  for (let n = 0; n < EVENTS; n += 10_000) {
    const batch: RecordRequest[] = []
    for (let i = n; i < n + 10_000; i++) batch.push({ event: event(i), outbox: [] })
    store.recordEvents(batch)
  }
  console.log(`${EVENTS.toLocaleString('en-US')} events over ${DAYS} days, ${CAMPAIGNS} campaigns, written in ${((performance.now() - loading) / 1000).toFixed(1)} s`)

  const all = { from: start, to: now, interval: 'hour' as const }
  const campaign = { ...all, groupBy: 'campaign', value: 'fall-2026-3' }
  const rows: [string, number][] = []
  rows.push(['first query of all events (builds the hourly counts)', await timed(() => store.timeseries(all))])
  rows.push(['first query by campaign (builds its hourly counts)', await timed(() => store.timeseries(campaign))])
  const steady = async (name: string, run: () => Promise<unknown>, added = 0): Promise<void> => {
    const times: number[] = []
    let n = EVENTS
    for (let i = 0; i < RUNS; i++) {
      if (added > 0) store.recordEvents(Array.from({ length: added }, () => ({ event: { ...event(n++), time: now }, outbox: [] })))
      times.push(await timed(run))
    }
    rows.push([name, median(times)])
  }
  await steady('timeseries, 30 days hourly, all events', () => store.timeseries(all))
  await steady('timeseries, 30 days hourly, one campaign', () => store.timeseries(campaign))
  await steady('timeseries, 30 days daily, one campaign', () => store.timeseries({ ...campaign, interval: 'day' }))
  await steady('timeseries, one campaign, 100 events new since the last query', () => store.timeseries(campaign), 100)
  await steady('top destinations, 30 days, all events', () => store.topDestinations(all))
  await steady('top destinations, 30 days, one campaign', () => store.topDestinations(campaign))
  await steady('values of campaign, 30 days (the campaign picker)', () => store.topValues({ groupBy: 'campaign', from: start, to: now }))
  // Stats from the kept figures (schema 6): totals and verdicts one row, groups from each email's counts.
  await steady('stats (totals and machine verdicts)', () => Promise.resolve(store.stats()))
  await steady('stats groupBy=campaign (20 groups)', () => Promise.resolve(store.stats({ groupBy: 'campaign' })))
  await steady('stats groupBy=customer_id (10,000 of 200,000 groups)', () => Promise.resolve(store.stats({ groupBy: 'customer_id' })))
  // The endpoint the dashboard calls, over HTTP on 127.0.0.1 (the server closes the store).
  const server = await startServer(loadSettings({ env: {}, overrides: { port: 0, dataDir: dir, logLevel: 'silent', apiToken: null } }), { store })
  const endpoint = async (query: string): Promise<unknown> => {
    const answer = await fetch(`${server.url}/api/v1/stats/timeseries?${query}`)
    if (answer.status !== 200) throw new Error(`timeseries answered ${answer.status}`)
    return answer.json()
  }
  await steady('GET /api/v1/stats/timeseries, 30 days hourly, all events', () => endpoint(`from=${start}&to=${now}&interval=hour`))
  await steady('GET /api/v1/stats/timeseries, 30 days hourly, one campaign', () => endpoint(`from=${start}&to=${now}&interval=hour&groupBy=campaign&value=fall-2026-3`))
  await steady('GET /api/v1/stats/timeseries, 30 days hourly, all events (again)', () => endpoint(`from=${start}&to=${now}&interval=hour`))
  await server.close()
  for (const [name, ms] of rows) console.log(`${name.padEnd(66)} ${ms.toFixed(1).padStart(8)} ms`)
  console.log(`goal: timeseries under 50 ms on a million events (median of ${RUNS}; wall clock on a shared machine, so noisy)`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
