import { describe, expect, inject, it } from 'vitest'
import pg from 'pg'
import { describeEventStore, newEvent, newOutboxItem } from '#test-utils/event-store-contract'
import { createDatabase } from '#test-utils/postgres'
import { openPostgresEventStore, PostgresEventStore } from './index'

const adminUrl = inject('postgresUrl')

describeEventStore('PostgreSQL', {
  async create() {
    const database = await createDatabase(adminUrl)
    return { open: () => openPostgresEventStore({ url: database.url, poolSize: 4 }), destroy: database.drop }
  },
})

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
      expect(rows.map((row: { version: number }) => row.version)).toEqual([1, 2, 3, 4])
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
      await store.close()
    } finally {
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
