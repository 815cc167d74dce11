// pg against postgres (porsager) on the group-commit path: the same one-statement call of
// pytrack_record (writer lock, events, outbox rows) with batches of 1 and 32 events, 4 callers
// at once, on PostgreSQL 18 started here. Prints events a second and client CPU per event.
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import postgres from 'postgres'
import { createDatabase, startTestPostgres } from '../../../test-utils/postgres'
import { MIGRATIONS } from '../src/_internal/migrations'

const RUN_MS = 3_000
const CALLERS = 4

function batchOf(size: number): { events: string; outbox: string } {
  const now = Date.now()
  const events = Array.from({ length: size }, (_, i) => ({
    kind: 'open', time: now, email_id: `message_id="m-${i}"`, metadata: { message_id: `m-${i}`, campaign: 'fall' }, destination: null,
    client_ip: '203.0.113.9', user_agent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)', machine: false, label: 'human', label_reason: null,
    request_data: { user_ip: '203.0.113.9', user_agent: 'Mozilla/5.0', client_kind: 'human' },
  }))
  const outbox = events.map((_, i) => ({ webhook_id: `msg_${randomUUID()}`, event: i + 1, url: 'https://hooks.example.com/t', payload: '{"metadata":{}}', time: now }))
  return { events: JSON.stringify(events), outbox: JSON.stringify(outbox) }
}

async function run(name: string, size: number, call: (events: string, outbox: string) => Promise<unknown>): Promise<void> {
  let events = 0
  const cpu = process.cpuUsage()
  const start = performance.now()
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (performance.now() - start < RUN_MS) {
        const batch = batchOf(size)
        await call(batch.events, batch.outbox)
        events += size
      }
    }),
  )
  const seconds = (performance.now() - start) / 1000
  const used = process.cpuUsage(cpu)
  const cpuUs = (used.user + used.system) / events
  console.log(`| ${name} | ${size} | ${Math.round(events / seconds).toLocaleString('en-US')} | ${cpuUs.toFixed(1)} µs |`)
}

const server = await startTestPostgres()
try {
  const database = await createDatabase(server.url)
  const setup = new pg.Client({ connectionString: database.url })
  await setup.connect()
  for (const sql of MIGRATIONS) await setup.query(sql)
  await setup.end()

  const pool = new pg.Pool({ connectionString: database.url, max: CALLERS })
  pool.on('error', () => undefined)
  const sql = postgres(database.url, { max: CALLERS, onnotice: () => undefined })
  console.log('\n## PostgreSQL clients on the group-commit path (4 callers, one statement a commit)')
  console.log('| client | events a commit | events/s | client CPU an event |')
  console.log('| --- | --- | --- | --- |')
  for (const size of [1, 32, 128]) {
    for (let round = 0; round < 2; round++) {
      await run('pg 8', size, (events, outbox) => pool.query('SELECT * FROM pytrack_record($1::jsonb, $2::jsonb)', [events, outbox]))
      await run('pg 8, named statement', size, (events, outbox) => pool.query({ name: 'record', text: 'SELECT * FROM pytrack_record($1::jsonb, $2::jsonb)', values: [events, outbox] }))
      await run('postgres 3', size, (events, outbox) => sql`SELECT * FROM pytrack_record(${events}::text::jsonb, ${outbox}::text::jsonb)`)
    }
  }
  await pool.end()
  await sql.end()
  await database.drop()
} finally {
  await server.stop()
}
