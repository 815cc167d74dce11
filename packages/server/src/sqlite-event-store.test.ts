import { spawnSync } from 'node:child_process'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { describeEventStore, newEvent, newOutboxItem } from '#test-utils/event-store-contract'
import { thrownBy } from '#test-utils/errors'
import { isPytrackError } from '@pytrack/core'
import { openSqliteEventStore } from './store/sqlite-event-store'
import { tempDir } from '../test/helpers'

describeEventStore('SQLite', {
  create() {
    const temp = tempDir('pytrack-contract-')
    const file = join(temp.path, 'pytrack.db')
    return { open: () => openSqliteEventStore({ file }), destroy: temp.remove }
  },
})

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
      DROP TABLE rollup_progress; DROP TABLE firsts; DROP TABLE rollup_hours; DROP TABLE rollup_destinations;
      DROP INDEX events_identified; DROP INDEX events_time; DROP INDEX events_email; DROP INDEX outbox_event; DROP INDEX outbox_delivered;
      ALTER TABLE events DROP COLUMN first_label; ALTER TABLE events DROP COLUMN first_machine; ALTER TABLE events DROP COLUMN hit_machine;
      ALTER TABLE events DROP COLUMN labels; ALTER TABLE events DROP COLUMN anonymized_at; ALTER TABLE outbox DROP COLUMN lease; PRAGMA user_version = 1;`)
    db.close()
    const reopened = openSqliteEventStore({ file, synchronous: 'full' })
    expect(reopened.listEvents().items.map((e) => [e.emailId, e.firstLabel, e.labels.length])).toEqual([['kept', 'human', 1]])
    expect(reopened.reclassifyEvents({ time: Date.now(), eventId: 1, changes: [{ id: 1, label: 'trap', reason: 'trap' }], outbox: [] })).toEqual([1])
    expect(reopened.claimOutbox({ lease: 'l', limit: 1, leaseMs: 1_000 })).toHaveLength(1)
    expect(reopened.anonymizeEvents({ before: Date.now() + 1, limit: 10, dropKeys: [] })).toBe(1)
    reopened.close()
    const newer = new Database(file)
    newer.pragma('user_version = 99')
    newer.close()
    expect(thrownBy(() => openSqliteEventStore({ file }))).toMatchObject({ code: 'ERR_PYTRACK_STORE', message: expect.stringMatching(/schema version 99.*upgrade pytrack/) })
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
