import { statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isPytrackError } from '@pytrack/core'
import { openSqliteEventStore, type SqliteEventStore } from './store/sqlite-event-store'
import type { NewTrackingEvent } from './store/event-store'
import { tempDir } from '../test/helpers'

let temp: ReturnType<typeof tempDir>
let dir: string
let store: SqliteEventStore

function event(overrides: Partial<NewTrackingEvent> = {}): NewTrackingEvent {
  return {
    kind: 'open',
    time: Date.now(),
    emailId: 'm-1',
    metadata: { message_id: 'm-1', campaign: 'fall' },
    destination: null,
    clientIp: '203.0.113.9',
    userAgent: 'Mozilla/5.0',
    machine: false,
    label: 'human',
    labelReason: null,
    requestData: { user_ip: '203.0.113.9', user_agent: 'Mozilla/5.0' },
    ...overrides,
  }
}

beforeEach(() => {
  temp = tempDir('pytrack-store-')
  dir = temp.path
  store = openSqliteEventStore({ file: join(dir, 'db', 'pytrack.db') })
})
afterEach(() => {
  store.close()
  temp.remove()
})

describe('SqliteEventStore', () => {
  it('creates its folder owner-only and answers health checks', () => {
    expect(statSync(join(dir, 'db')).mode & 0o777).toBe(0o700)
    expect(() => store.check()).not.toThrow()
  })

  it('records events and lists them oldest first with a cursor', () => {
    const ids = Array.from({ length: 5 }, (_, i) => store.recordEvent(event({ emailId: `m-${i}` }), []).id)
    const first = store.listEvents({ limit: 2 })
    expect(first.items.map((e) => e.id)).toEqual(ids.slice(0, 2))
    expect(first.hasMore).toBe(true)
    const second = store.listEvents({ limit: 2, cursor: first.nextCursor ?? undefined })
    expect(second.items.map((e) => e.id)).toEqual(ids.slice(2, 4))
    const last = store.listEvents({ limit: 2, cursor: second.nextCursor ?? undefined })
    expect(last.items.map((e) => e.id)).toEqual(ids.slice(4))
    expect(last.hasMore).toBe(false)
    // The last page's cursor lets a poller pick up new events later.
    const later = store.recordEvent(event(), []).id
    expect(store.listEvents({ cursor: last.nextCursor ?? undefined }).items.map((e) => e.id)).toEqual([later])
    expect(first.items[0]).toMatchObject({ kind: 'open', metadata: { campaign: 'fall' }, machine: false, clientIp: '203.0.113.9' })
  })

  it('writes a batch in one transaction, all or none', () => {
    const recorded = store.recordEvents([
      { event: event({ emailId: 'a' }), outbox: [] },
      { event: event({ emailId: 'b' }), outbox: [{ url: 'https://a.example/hook', payload: '{}' }] },
    ])
    expect(recorded.map((r) => r.outbox.length)).toEqual([0, 1])
    expect(recorded[1]?.id).toBe((recorded[0]?.id ?? 0) + 1)
    // A bad row (kind violates the CHECK) rolls the whole batch back.
    expect(() =>
      store.recordEvents([{ event: event({ emailId: 'c' }), outbox: [] }, { event: event({ kind: 'bounce' as 'open' }), outbox: [] }]),
    ).toThrow(expect.objectContaining({ code: 'ERR_PYTRACK_STORE' }))
    expect(store.listEvents().items.map((e) => e.emailId)).toEqual(['a', 'b'])
    expect(store.recordEvents([])).toEqual([])
  })

  it('filters by kind and refuses a forged cursor or a bad limit', () => {
    store.recordEvent(event(), [])
    store.recordEvent(event({ kind: 'click', destination: 'https://example.com/' }), [])
    expect(store.listEvents({ kind: 'click' }).items).toHaveLength(1)
    for (const query of [{ cursor: 'not a cursor' }, { cursor: 'aGVsbG8' }, { limit: 0 }, { limit: 1001 }, { limit: 1.5 }]) {
      expect(() => store.listEvents(query)).toThrow(expect.objectContaining({ code: 'ERR_PYTRACK_INVALID_ARGUMENT' }))
    }
  })

  it('counts totals and uniques; a click counts as an open of its email; machines apart', () => {
    const rows: Partial<NewTrackingEvent>[] = [
      { emailId: 'a', metadata: { campaign: 'fall' } },
      { emailId: 'a', metadata: { campaign: 'fall' } },
      { emailId: 'b', kind: 'click', metadata: { campaign: 'fall' }, destination: 'https://x.example/' },
      { emailId: 'c', machine: true, label: 'privacy-prefetch', metadata: { campaign: 'fall' } },
      { emailId: 'd', kind: 'click', machine: true, label: 'scanner', metadata: { campaign: 'spring' } },
      { emailId: 'e', metadata: {} },
    ]
    for (const row of rows) store.recordEvent(event(row), [])
    const stats = store.stats({ groupBy: 'campaign' })
    expect(stats.total).toEqual({ opens: 3, uniqueOpens: 3, clicks: 1, uniqueClicks: 1, machineOpens: 1, machineClicks: 1 })
    const fall = stats.groups.find((g) => g.value === 'fall')
    expect(fall).toEqual({ value: 'fall', opens: 2, uniqueOpens: 2, clicks: 1, uniqueClicks: 1, machineOpens: 1, machineClicks: 0 })
    expect(stats.groups.find((g) => g.value === null)).toMatchObject({ opens: 1, uniqueOpens: 1 })
    expect(stats.groups.find((g) => g.value === 'spring')).toMatchObject({ opens: 0, uniqueOpens: 0, machineClicks: 1 })
    expect(() => store.stats({ groupBy: "x') OR 1=1 --" })).toThrow(expect.objectContaining({ code: 'ERR_PYTRACK_INVALID_ARGUMENT' }))
  })

  it('keeps numbers, booleans and strings apart when grouping', () => {
    for (const value of [1, '1', true, 1]) store.recordEvent(event({ metadata: { v: value } }), [])
    const groups = store.stats({ groupBy: 'v' }).groups
    expect(groups.map((g) => [g.value, g.opens])).toEqual(expect.arrayContaining([[1, 2], ['1', 1], [true, 1]]))
  })

  it('writes outbox rows with the event, claims them once, retries and fails them', () => {
    const recorded = store.recordEvent(event(), [
      { url: 'https://a.example/hook', payload: '{}' },
      { url: 'https://b.example/hook', payload: '{}' },
    ])
    expect(recorded.outbox).toHaveLength(2)
    expect(recorded.outbox[0]?.webhookId).toMatch(/^msg_[0-9a-f]{32}$/)
    const now = Date.now()
    const claimed = store.claimOutbox(10, 60_000, now)
    expect(claimed.map((item) => item.webhookId)).toEqual(recorded.outbox.map((o) => o.webhookId))
    expect(store.claimOutbox(10, 60_000, now)).toEqual([])
    const [a, b] = claimed as [(typeof claimed)[0], (typeof claimed)[0]]
    store.completeOutbox(a.id, 204)
    store.failOutbox(b.id, { error: 'HTTP 503', status: 503, retryAt: now + 1_000 })
    expect(store.claimOutbox(10, 60_000, now)).toEqual([])
    expect(store.nextOutboxDue()).toBe(now + 1_000)
    const again = store.claimOutbox(10, 60_000, now + 1_000)
    expect(again.map((item) => [item.webhookId, item.attempts])).toEqual([[b.webhookId, 1]])
    store.failOutbox(b.id, { error: 'HTTP 503', status: 503, retryAt: null })
    expect(store.listOutbox({ status: 'failed' }).items.map((item) => item.id)).toEqual([b.id])
    expect(store.listOutbox({ status: 'delivered' }).items[0]).toMatchObject({ id: a.id, lastStatus: 204, attempts: 1 })
    expect(store.retryOutbox(b.id)).toBe(true)
    expect(store.retryOutbox(a.id)).toBe(false)
    expect(store.claimOutbox(10, 60_000)).toHaveLength(1)
  })

  it('takes back leases of a killed run when reopened', () => {
    const file = join(dir, 'lease.db')
    const first = openSqliteEventStore({ file })
    first.recordEvent(event(), [{ url: 'https://a.example/hook', payload: '{}' }])
    expect(first.claimOutbox(1, 3_600_000)).toHaveLength(1)
    first.close()
    const second = openSqliteEventStore({ file, synchronous: 'full' })
    expect(second.claimOutbox(1, 60_000)).toHaveLength(1)
    second.close()
  })

  it('throws typed errors when closed or when the file cannot be opened', () => {
    const other = openSqliteEventStore({ file: ':memory:' })
    other.close()
    expect(() => other.recordEvent(event(), [])).toThrow(expect.objectContaining({ code: 'ERR_PYTRACK_STORE' }))
    try {
      openSqliteEventStore({ file: join(dir, 'no-such', 'dir', '\0bad') })
      expect.unreachable()
    } catch (error) {
      expect(isPytrackError(error, 'ERR_PYTRACK_STORE')).toBe(true)
    }
  })
})
