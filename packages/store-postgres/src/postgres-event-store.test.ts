import { describe, expect, inject, it } from 'vitest'
import pg from 'pg'
import { describeEventStore, expectedTimeseries, expectedTopDestinations, expectedVerdicts, newEvent, newOutboxItem } from '#test-utils/event-store-contract'
import { createDatabase } from '#test-utils/postgres'
import { openPostgresEventStore, PostgresEventStore } from './index'
import { MIGRATIONS } from './_internal/migrations'

const adminUrl = inject('postgresUrl')
const HOUR = 3_600_000

describeEventStore('PostgreSQL', {
  async create() {
    const database = await createDatabase(adminUrl)
    return { open: () => openPostgresEventStore({ url: database.url, poolSize: 4 }), destroy: database.drop }
  },
})

/** A new database with the schema of the first `version` migrations only, and a client connected to it. */
async function databaseAtSchema(version: number): Promise<{ database: Awaited<ReturnType<typeof createDatabase>>; client: pg.Client }> {
  const database = await createDatabase(adminUrl)
  const client = new pg.Client({ connectionString: database.url })
  await client.connect()
  await client.query('CREATE TABLE pytrack_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)')
  for (const [index, sql] of MIGRATIONS.slice(0, version).entries()) {
    await client.query(sql)
    await client.query('INSERT INTO pytrack_migrations VALUES ($1, 0)', [index + 1])
  }
  return { database, client }
}

describe('PostgresEventStore', () => {
  it('migrates once when several instances start together, and refuses a schema newer than it knows', async () => {
    const database = await createDatabase(adminUrl)
    try {
      const stores = await Promise.all(Array.from({ length: 4 }, () => openPostgresEventStore({ url: database.url, poolSize: 2 })))
      await stores[0]?.recordEvent(newEvent(), [newOutboxItem()])
      for (const store of stores) expect((await store.listEvents()).items).toHaveLength(1)
      await Promise.all(stores.map((store) => store.close()))
      const client = new pg.Client({ connectionString: database.url })
      await client.connect()
      const { rows } = await client.query('SELECT version FROM pytrack_migrations ORDER BY version')
      expect(rows.map((row: { version: number }) => row.version)).toEqual([1, 2, 3, 4, 5])
      await client.query('INSERT INTO pytrack_migrations VALUES (99, 0)')
      await client.end()
      await expect(openPostgresEventStore({ url: database.url })).rejects.toMatchObject({
        code: 'ERR_PYTRACK_STORE',
        message: expect.stringMatching(/schema version 99.*upgrade pytrack/),
      })
    } finally {
      await database.drop()
    }
  })

  it('reads rows from before migration 3 as having one label, and relabels them keeping it first', async () => {
    const database = await createDatabase(adminUrl)
    try {
      const store = await openPostgresEventStore({ url: database.url, poolSize: 2 })
      const { id } = await store.recordEvent(newEvent({ kind: 'click', destination: 'https://x.example/', labelReason: 'no machine signal' }), [])
      const client = new pg.Client({ connectionString: database.url })
      await client.connect()
      await client.query('UPDATE pytrack_events SET first_label = NULL, first_machine = NULL, hit_machine = NULL, labels = NULL')
      await client.end()
      expect((await store.listEvents()).items[0]).toMatchObject({ firstLabel: 'human', firstMachine: false, labels: [{ label: 'human', machine: false, reason: 'no machine signal' }] })
      expect((await store.stats()).verdicts.perHit).toMatchObject({ clicks: 1 })
      await store.reclassifyEvents({ time: 5, eventId: id, changes: [{ id, label: 'trap', reason: 'trap' }], outbox: [] })
      expect((await store.listEvents()).items[0]).toMatchObject({ firstLabel: 'human', label: 'trap', machine: true, labels: [{ label: 'human' }, { time: 5, label: 'trap', machine: true }] })
      expect((await store.stats()).total).toMatchObject({ clicks: 0, machineClicks: 1, uniqueClicks: 0 })
      // Its per-hit verdict stays the one it was answered with.
      expect((await store.stats()).verdicts.perHit).toMatchObject({ clicks: 1, machineClicks: 0 })
      expect((await store.listEvents()).items[0]).toMatchObject({ firstMachine: false })
      await store.close()
    } finally {
      await database.drop()
    }
  })

  it('fills the kept verdict figures of a database made by schema 3 from its events, then keeps them', async () => {
    const { database, client } = await databaseAtSchema(3)
    try {
      // Events as schema 3's pytrack_record wrote them: people, Apple's prefetches, a scanner, one relabelled.
      const events = [
        newEvent({ emailId: 'a', kind: 'click', destination: 'https://x.example/' }),
        newEvent({ emailId: 'a', machine: true, label: 'privacy-prefetch' }),
        newEvent({ emailId: 'b', machine: true, label: 'privacy-prefetch' }),
        newEvent({ emailId: 'b', machine: true, label: 'scanner' }),
        newEvent({ emailId: 'c' }),
      ].map((event) => ({ kind: event.kind, time: event.time, email_id: event.emailId, metadata: event.metadata, destination: event.destination, machine: event.machine, label: event.label, labels: null }))
      await client.query('SELECT * FROM pytrack_record($1::jsonb, $2::jsonb)', [JSON.stringify(events), '[]'])
      await client.query(`UPDATE pytrack_events SET label = 'trap', label_reason = 'trap', machine = true, first_label = 'human', first_machine = false,
        labels = jsonb_build_array(jsonb_build_object('time', time, 'label', 'human', 'machine', false, 'reason', NULL),
          jsonb_build_object('time', time, 'label', 'trap', 'machine', true, 'reason', 'trap')) WHERE email_id = 'c'`)
      const store = await openPostgresEventStore({ url: database.url, poolSize: 2 })
      const { rows } = await client.query('SELECT max(version) AS version FROM pytrack_migrations')
      expect(rows[0]).toEqual({ version: MIGRATIONS.length })
      const every = async () => (await store.listEvents({ limit: 1000 })).items
      expect((await store.stats()).verdicts).toEqual({
        perHit: { opens: 1, uniqueOpens: 2, clicks: 1, uniqueClicks: 1, machineOpens: 3, machineClicks: 0 },
        machineOpensByReason: { 'privacy-prefetch': 2, scanner: 1, trap: 1 },
        machineClicksByReason: {},
        applePrefetch: { opens: 2, emails: 2, emailsWithoutPerson: 1, openedEmails: 3 },
      })
      expect((await store.stats()).verdicts).toEqual(expectedVerdicts(await every()))
      await store.recordEvent(newEvent({ emailId: 'b', kind: 'click', destination: 'https://x.example/' }), [])
      await store.eraseEvents({ emailId: 'a' })
      expect((await store.stats()).verdicts).toEqual(expectedVerdicts(await every()))
      await store.close()
    } finally {
      await client.end()
      await database.drop()
    }
  })

  it('fills the hourly rollups of a database made by schema 4 from its events, then keeps them', async () => {
    const { database, client } = await databaseAtSchema(4)
    try {
      // Events as schema 4's pytrack_record wrote them, over three hours: people, a prefetch, a scanner's click, two destinations.
      const start = Date.UTC(2026, 10, 2, 21, 30)
      const rows = [
        newEvent({ emailId: 'a', time: start, kind: 'click', destination: 'https://x.example/' }),
        newEvent({ emailId: 'a', time: start + 10 * 60_000, kind: 'click', destination: 'https://y.example/' }),
        newEvent({ emailId: 'b', time: start + 40 * 60_000, machine: true, label: 'privacy-prefetch' }),
        newEvent({ emailId: 'b', time: start + 50 * 60_000 }),
        newEvent({ emailId: 'c', time: start + 2 * HOUR, kind: 'click', destination: 'https://x.example/', machine: true, label: 'scanner' }),
        newEvent({ emailId: 'c', time: start + 2 * HOUR + 1, kind: 'click', destination: 'https://x.example/' }),
      ].map((event) => ({ kind: event.kind, time: event.time, email_id: event.emailId, metadata: event.metadata, destination: event.destination, machine: event.machine, label: event.label, labels: null }))
      await client.query('SELECT * FROM pytrack_record($1::jsonb, $2::jsonb)', [JSON.stringify(rows), '[]'])
      const store = await openPostgresEventStore({ url: database.url, poolSize: 2 })
      const { rows: version } = await client.query('SELECT max(version) AS version FROM pytrack_migrations')
      expect(version[0]).toEqual({ version: MIGRATIONS.length })
      const queries = [
        { from: start, to: start + 3 * HOUR, interval: 'hour' as const },
        { from: start - 24 * HOUR, to: start + 24 * HOUR, interval: 'day' as const },
      ]
      const check = async (): Promise<void> => {
        const events = (await store.listEvents({ limit: 1000 })).items
        for (const query of queries) {
          expect(await store.timeseries(query)).toEqual(expectedTimeseries(events, query))
          expect(await store.topDestinations(query)).toEqual(expectedTopDestinations(events, query))
        }
      }
      expect((await store.timeseries(queries[0]!)).buckets.map((bucket) => [bucket.opens, bucket.uniqueOpens, bucket.clicks, bucket.machineOpens, bucket.machineClicks]))
        .toEqual([[0, 1, 2, 0, 0], [1, 1, 0, 1, 0], [0, 1, 1, 0, 1], [0, 0, 0, 0, 0]])
      await check()
      await store.recordEvent(newEvent({ emailId: 'b', time: start + HOUR, kind: 'click', destination: 'https://y.example/' }), [])
      const [first] = (await store.listEvents({ limit: 1 })).items
      await store.reclassifyEvents({ time: start, eventId: first!.id, changes: [{ id: first!.id, label: 'burst', reason: 'burst' }], outbox: [] })
      await check()
      await store.eraseEvents({ emailId: 'c' })
      await check()
      expect(await store.topDestinations(queries[0]!)).toEqual([
        { destination: 'https://y.example/', clicks: 2, uniqueClicks: 2, machineClicks: 0 },
        { destination: 'https://x.example/', clicks: 0, uniqueClicks: 0, machineClicks: 1 },
      ])
      await store.close()
    } finally {
      await client.end()
      await database.drop()
    }
  })

  it('says where it could not connect, without the password', async () => {
    const url = new URL(adminUrl)
    url.pathname = '/no_such_database'
    url.password = 'hunter2-secret'
    const error = await openPostgresEventStore({ url: url.href, connectTimeoutMs: 2_000 }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'ERR_PYTRACK_STORE', message: expect.stringMatching(/cannot connect to PostgreSQL at postgres:\/\/postgres@.*no_such_database.*PYTRACK_DATABASE_URL/) })
    expect((error as Error).message).not.toContain('hunter2')
  })

  it('refuses options that are not a PostgreSQL URL', () => {
    for (const options of [{ url: 'mysql://x' }, { url: 'postgres://h/db', poolSize: 0 }, null]) {
      expect(() => new PostgresEventStore(options as never)).toThrow(expect.objectContaining({ code: 'ERR_PYTRACK_INVALID_ARGUMENT' }))
    }
  })
})
