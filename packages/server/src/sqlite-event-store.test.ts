import { spawnSync } from 'node:child_process'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { describeEventStore, expectedCounts, expectedGroups, expectedVerdicts, newEvent, newOutboxItem } from '#test-utils/event-store-contract'
import { thrownBy } from '#test-utils/errors'
import { isPytrackError } from '@pytrack/core'
import { openSqliteEventStore } from './store/sqlite-event-store'
import type { StatsGroup } from './store/event-store'
import { tempDir } from '../test/helpers'

describeEventStore('SQLite', {
  create() {
    const temp = tempDir('pytrack-contract-')
    const file = join(temp.path, 'pytrack.db')
    return { open: () => openSqliteEventStore({ file }), destroy: temp.remove }
  },
})

// Back to schema 5: without the kept stats of migration 6.
const TO_SCHEMA_5 = `
  DROP TRIGGER events_inserted_stats; DROP TRIGGER events_updated_stats; DROP TRIGGER events_deleted_stats;
  DROP TABLE stats_emails; DROP TABLE stats_email_metadata; DROP TABLE stats_reasons; DROP TABLE stats_totals; PRAGMA user_version = 5;`

describe('SqliteEventStore', () => {
  let temp: ReturnType<typeof tempDir>
  beforeEach(() => {
    temp = tempDir('pytrack-store-')
  })
  afterEach(() => temp.remove())

  it('creates its folder owner-only and answers health checks', () => {
    const store = openSqliteEventStore({ file: join(temp.path, 'db', 'pytrack.db') })
    expect(statSync(join(temp.path, 'db')).mode & 0o777).toBe(0o700)
    expect(() => store.check()).not.toThrow()
    store.close()
  })

  it('upgrades a database of the previous schema version, keeping its rows', () => {
    const file = join(temp.path, 'old.db')
    const store = openSqliteEventStore({ file })
    store.recordEvent(newEvent({ emailId: 'kept' }), [newOutboxItem()])
    store.close()
    // Back to version 1: the outbox without its lease column, events without retention's column and indexes and without their labels.
    const db = new Database(file)
    db.exec(`
      ${TO_SCHEMA_5}
      DROP TABLE rollup_progress; DROP TABLE firsts; DROP TABLE rollup_hours; DROP TABLE rollup_destinations;
      DROP INDEX events_identified; DROP INDEX events_time; DROP INDEX events_email; DROP INDEX outbox_event; DROP INDEX outbox_delivered;
      ALTER TABLE events DROP COLUMN first_label; ALTER TABLE events DROP COLUMN first_machine; ALTER TABLE events DROP COLUMN hit_machine;
      ALTER TABLE events DROP COLUMN labels; ALTER TABLE events DROP COLUMN anonymized_at; ALTER TABLE outbox DROP COLUMN lease; PRAGMA user_version = 1;`)
    db.close()
    const reopened = openSqliteEventStore({ file, synchronous: 'full' })
    expect(reopened.listEvents().items.map((e) => [e.emailId, e.firstLabel, e.labels.length])).toEqual([['kept', 'human', 1]])
    expect(reopened.reclassifyEvents({ time: Date.now(), eventId: 1, changes: [{ id: 1, label: 'trap', reason: 'trap' }], outbox: [] })).toEqual([1])
    // The row from before labels keeps its one label as the first and per-hit one.
    expect(reopened.listEvents().items[0]).toMatchObject({ label: 'trap', machine: true, firstLabel: 'human', firstMachine: false, labels: [{ label: 'human' }, { label: 'trap' }] })
    expect(reopened.stats().verdicts.perHit).toMatchObject({ opens: 1, machineOpens: 0 })
    expect(reopened.stats().total).toMatchObject({ opens: 0, machineOpens: 1 })
    expect(reopened.claimOutbox({ lease: 'l', limit: 1, leaseMs: 1_000 })).toHaveLength(1)
    expect(reopened.anonymizeEvents({ before: Date.now() + 1, limit: 10, dropKeys: [] })).toBe(1)
    reopened.close()
    const newer = new Database(file)
    newer.pragma('user_version = 99')
    newer.close()
    expect(thrownBy(() => openSqliteEventStore({ file }))).toMatchObject({ code: 'ERR_PYTRACK_STORE', message: expect.stringMatching(/schema version 99.*upgrade pytrack/) })
  })

  it('fills the kept stats of a database made by schema 5 from its events, then keeps them', () => {
    const file = join(temp.path, 'five.db')
    openSqliteEventStore({ file }).close()
    const db = new Database(file)
    db.exec(TO_SCHEMA_5)
    // Events as schema 5 wrote them: people, Apple's prefetches, a scanner, a per-hit person judged a machine, one relabelled, rows from before labels.
    const insert = db.prepare(
      `INSERT INTO events (kind, time, email_id, metadata, destination, machine, label, first_label, first_machine, hit_machine, labels)
       VALUES (?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    const rows: [kind: string, email: string, campaign: string | null, machine: number, label: string, hit: number | null][] = [
      ['click', 'a', 'fall', 0, 'human', 0],
      ['open', 'a', 'fall', 1, 'privacy-prefetch', 1],
      ['open', 'b', 'spring', 1, 'privacy-prefetch', 1],
      ['open', 'b', 'spring', 1, 'scanner', 1],
      ['click', 'b', null, 1, 'burst', 0],
      ['open', 'c', 'fall', 0, 'human', 0],
      ['open', 'd', 'fall', 0, 'human', null],
      ['click', 'd', 'spring', 0, 'human', null],
    ]
    for (const [kind, email, campaign, machine, label, hit] of rows) {
      const metadata = JSON.stringify(campaign === null ? { message_id: email } : { message_id: email, campaign })
      // A machine that was a person by its per-hit label has both labels.
      const labels = hit === 0 && machine === 1 ? JSON.stringify([{ time: 0, label: 'human', machine: false, reason: null }, { time: 0, label, machine: true, reason: label }]) : null
      insert.run(kind, email, metadata, kind === 'click' ? 'https://x.example/' : null, machine, label, hit === null ? null : label, hit === null ? null : machine, hit, labels)
    }
    db.exec(`UPDATE events SET label = 'trap', machine = 1,
      labels = json_array(json_object('time', 0, 'label', 'human', 'machine', json('false'), 'reason', NULL), json_object('time', 1, 'label', 'trap', 'machine', json('true'), 'reason', 'trap'))
      WHERE email_id = 'c'`)
    db.close()
    const store = openSqliteEventStore({ file })
    const check = (): void => {
      const events = store.listEvents({ limit: 1000 }).items
      const stats = store.stats({ groupBy: 'campaign' })
      expect(stats.verdicts).toEqual(expectedVerdicts(events))
      expect(stats.total).toEqual(expectedCounts(events))
      const byValue = (groups: StatsGroup[]): StatsGroup[] => [...groups].sort((x, y) => JSON.stringify(x.value).localeCompare(JSON.stringify(y.value)))
      expect(byValue(stats.groups)).toEqual(byValue(expectedGroups(events, 'campaign')))
    }
    expect(store.stats().verdicts).toEqual({
      perHit: { opens: 2, uniqueOpens: 4, clicks: 3, uniqueClicks: 3, machineOpens: 3, machineClicks: 0 },
      machineOpensByReason: { 'privacy-prefetch': 2, scanner: 1, trap: 1 },
      machineClicksByReason: { burst: 1 },
      applePrefetch: { opens: 2, emails: 2, emailsWithoutPerson: 1, openedEmails: 4 },
    })
    check()
    store.recordEvent(newEvent({ emailId: 'b', kind: 'click', destination: 'https://x.example/', metadata: { message_id: 'b', campaign: 'spring' } }), [])
    store.reclassifyEvents({ time: 1, eventId: 1, changes: [{ id: 1, label: 'burst', reason: 'burst' }], outbox: [] })
    check()
    store.eraseEvents({ emailId: 'a' })
    expect(store.anonymizeEvents({ before: 1, limit: 100, dropKeys: ['campaign'] })).toBe(6)
    check()
    store.close()
  })

  it('throws typed errors for a bad option or when the file cannot be opened', () => {
    expect(thrownBy(() => openSqliteEventStore({ file: ':memory:', synchronous: 'off' as 'full' }))).toMatchObject({ code: 'ERR_PYTRACK_INVALID_ARGUMENT' })
    const error = thrownBy(() => openSqliteEventStore({ file: join(temp.path, 'no-such', 'dir', '\0bad') }))
    expect(isPytrackError(error, 'ERR_PYTRACK_STORE')).toBe(true)
  })

  it('without better-sqlite3 installed, the server refuses to start and says how to install it', () => {
    const run = spawnSync(
      process.execPath,
      ['--require', fileURLToPath(new URL('../test/hide-better-sqlite3.cjs', import.meta.url)), '--import', 'tsx', fileURLToPath(new URL('./cli.ts', import.meta.url)), 'serve'],
      { cwd: fileURLToPath(new URL('..', import.meta.url)), env: { PATH: process.env.PATH ?? '', PYTRACK_DATA_DIR: join(temp.path, 'data'), PYTRACK_PORT: '0' }, encoding: 'utf8', timeout: 20_000 },
    )
    expect(run.status).not.toBe(0)
    expect(run.stderr).toMatch(/needs the better-sqlite3 package.*npm install better-sqlite3/)
  })
})
