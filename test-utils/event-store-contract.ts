// The event store contract suite: every store (SQLite, PostgreSQL, ...) runs it from its own
// tests with `describeEventStore(name, harness)`. It checks what `EventStore`'s TSDoc promises,
// with two stores open on one database wherever the promise is about several instances.
import { randomUUID } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { JsonValue } from '@pytrack/core'
import type {
  EventStore,
  NewOutboxItem,
  NewTrackingEvent,
  OutboxItem,
  RecordRequest,
  StatsCounts,
  StatsGroup,
  TrackingEvent,
} from '@pytrack/server'

/** One empty database, and a way to open stores on it. */
export interface EventStoreDatabase {
  /** Opens a store on this database; called more than once, it gives several instances. */
  open(): EventStore | Promise<EventStore>
  /** Drops the database (the stores are closed by then). */
  destroy(): void | Promise<void>
}

export interface EventStoreHarness {
  /** Makes a fresh, empty database. */
  create(): EventStoreDatabase | Promise<EventStoreDatabase>
}

let sequence = 0

/** A human open with fresh metadata; `overrides` win. */
export function newEvent(overrides: Partial<NewTrackingEvent> = {}): NewTrackingEvent {
  const id = `m-${++sequence}`
  return {
    kind: 'open',
    time: Date.now(),
    emailId: `message_id="${id}"`,
    metadata: { message_id: id, campaign: 'fall' },
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

/** An outbox row with a fresh webhook-id. */
export function newOutboxItem(url = 'https://hooks.example.com/t'): NewOutboxItem {
  return { webhookId: `msg_${randomUUID().replaceAll('-', '')}`, url, payload: '{"metadata":{}}' }
}

function blank(): StatsCounts {
  return { opens: 0, uniqueOpens: 0, clicks: 0, uniqueClicks: 0, machineOpens: 0, machineClicks: 0 }
}

/** The stats of `events` as `StatsCounts` defines them, read plainly from the events. */
export function expectedCounts(events: readonly NewTrackingEvent[]): StatsCounts {
  const counts = blank()
  const opened = new Set<string>()
  const clicked = new Set<string>()
  for (const event of events) {
    if (event.machine) {
      if (event.kind === 'open') counts.machineOpens++
      else counts.machineClicks++
      continue
    }
    opened.add(event.emailId)
    if (event.kind === 'open') counts.opens++
    else {
      counts.clicks++
      clicked.add(event.emailId)
    }
  }
  return { ...counts, uniqueOpens: opened.size, uniqueClicks: clicked.size }
}

/** The groups of `events` by `key` as `StatsGroup` defines them, in no particular order. */
export function expectedGroups(events: readonly NewTrackingEvent[], key: string): StatsGroup[] {
  const byValue = new Map<string, NewTrackingEvent[]>()
  for (const event of events) {
    const value = event.metadata[key] ?? null
    const name = JSON.stringify(value)
    byValue.set(name, [...(byValue.get(name) ?? []), event])
  }
  return [...byValue].map(([name, members]) => ({ value: JSON.parse(name) as JsonValue, ...expectedCounts(members) }))
}

const sortGroups = (groups: readonly StatsGroup[]): StatsGroup[] =>
  [...groups].sort((a, b) => JSON.stringify(a.value).localeCompare(JSON.stringify(b.value)))

async function everyEvent(store: EventStore): Promise<TrackingEvent[]> {
  const events: TrackingEvent[] = []
  let after = 0
  for (;;) {
    const page = await store.listEvents({ after, limit: 1000 })
    events.push(...page.items)
    after = page.items.at(-1)?.id ?? after
    if (!page.hasMore) return events
  }
}

async function outboxRow(store: EventStore, id: number): Promise<OutboxItem> {
  const row = (await store.listOutbox({ after: id - 1, limit: 1 })).items[0]
  if (row?.id !== id) throw new Error(`no outbox row ${id}`)
  return row
}

/**
 * Defines the contract tests of one store kind. `harness.create()` makes an empty database
 * for each test; each test opens one or two stores on it.
 */
export function describeEventStore(name: string, harness: EventStoreHarness): void {
  describe(`${name}: the EventStore contract`, () => {
    let database: EventStoreDatabase
    const opened: EventStore[] = []
    const open = async (): Promise<EventStore> => {
      const store = await database.open()
      opened.push(store)
      return store
    }
    let store: EventStore

    beforeEach(async () => {
      database = await harness.create()
      store = await open()
    })
    afterEach(async () => {
      for (const each of opened.splice(0)) await each.close()
      await database.destroy()
    })

    describe('recording', () => {
      it('answers only once the event and its outbox rows are committed: another instance sees them at once', async () => {
        const other = await open()
        const event = newEvent({ kind: 'click', destination: 'https://example.com/sale', metadata: { message_id: 'x', nested: { a: [1, 'two', null] } } })
        const item = newOutboxItem()
        const recorded = await store.recordEvent(event, [item])
        expect(recorded.outbox).toEqual([{ id: expect.any(Number), webhookId: item.webhookId }])
        const [stored] = (await other.listEvents()).items
        expect(stored).toEqual({ ...event, id: recorded.id })
        const [row] = (await other.listOutbox()).items
        expect(row).toMatchObject({ id: recorded.outbox[0]?.id, webhookId: item.webhookId, eventId: recorded.id, url: item.url, payload: item.payload, status: 'pending', attempts: 0, lastError: null, lastStatus: null, deliveredAt: null })
        expect(row?.createdAt).toBe(event.time)
      })

      it('keeps every field as given, nulls and machine labels included', async () => {
        const bare = newEvent({ clientIp: null, userAgent: null, requestData: null, machine: true, label: 'privacy-prefetch', labelReason: 'Apple Mail Privacy Protection', metadata: {} })
        const { id } = await store.recordEvent(bare, [])
        expect((await store.listEvents()).items).toEqual([{ ...bare, id }])
      })

      it('writes a batch in one transaction: all or none, ids in the order given', async () => {
        const batch: RecordRequest[] = [
          { event: newEvent(), outbox: [] },
          { event: newEvent(), outbox: [newOutboxItem(), newOutboxItem('https://b.example/hook')] },
          { event: newEvent({ kind: 'click', destination: 'https://example.com/' }), outbox: [newOutboxItem()] },
        ]
        const recorded = await store.recordEvents(batch)
        expect(recorded.map((r) => r.outbox.map((o) => o.webhookId))).toEqual(batch.map((b) => b.outbox.map((o) => o.webhookId)))
        const ids = recorded.map((r) => r.id)
        expect(ids).toEqual([...ids].sort((a, b) => a - b))
        expect(new Set(ids).size).toBe(3)
        expect(await store.recordEvents([])).toEqual([])

        // A duplicate webhook-id (and a kind no store takes) fails the whole batch.
        const duplicate = newOutboxItem()
        for (const bad of [
          [{ event: newEvent(), outbox: [] }, { event: newEvent(), outbox: [duplicate, duplicate] }],
          [{ event: newEvent(), outbox: [newOutboxItem()] }, { event: newEvent({ kind: 'bounce' as 'open' }), outbox: [] }],
        ]) {
          await expect(Promise.resolve().then(() => store.recordEvents(bad))).rejects.toMatchObject({ code: 'ERR_PYTRACK_STORE' })
        }
        await expect(Promise.resolve().then(() => store.recordEvent(newEvent(), [batch[1]?.outbox[0] as NewOutboxItem]))).rejects.toMatchObject({ code: 'ERR_PYTRACK_STORE' })
        expect((await everyEvent(store)).map((e) => e.id)).toEqual(ids)
        expect((await store.listOutbox()).items).toHaveLength(3)
      })

      it('throws a StoreError once closed; a second close does nothing', async () => {
        const other = await open()
        await other.close()
        await other.close()
        await expect(Promise.resolve().then(() => other.recordEvent(newEvent(), []))).rejects.toMatchObject({ code: 'ERR_PYTRACK_STORE' })
        await expect(Promise.resolve().then(() => other.listEvents())).rejects.toMatchObject({ code: 'ERR_PYTRACK_STORE' })
        await expect(Promise.resolve().then(() => other.check())).rejects.toMatchObject({ code: 'ERR_PYTRACK_STORE' })
        await store.check()
      })
    })

    describe('listing', () => {
      it('pages events in id order after `after`, filters by kind, and the last page lets a poller continue', async () => {
        const ids: number[] = []
        for (let i = 0; i < 7; i++) {
          ids.push((await store.recordEvent(newEvent(i % 3 === 0 ? { kind: 'click', destination: 'https://example.com/' } : {}), [])).id)
        }
        const first = await store.listEvents({ limit: 3 })
        expect(first.items.map((e) => e.id)).toEqual(ids.slice(0, 3))
        expect(first.hasMore).toBe(true)
        const second = await store.listEvents({ limit: 3, after: first.items.at(-1)?.id })
        expect(second.items.map((e) => e.id)).toEqual(ids.slice(3, 6))
        const last = await store.listEvents({ limit: 3, after: second.items.at(-1)?.id })
        expect(last.items.map((e) => e.id)).toEqual(ids.slice(6))
        expect(last.hasMore).toBe(false)
        const later = (await store.recordEvent(newEvent(), [])).id
        expect((await store.listEvents({ after: ids.at(-1) })).items.map((e) => e.id)).toEqual([later])
        expect((await store.listEvents({ after: later })).items).toEqual([])
        const clicks = await store.listEvents({ kind: 'click', limit: 2 })
        expect(clicks.items.map((e) => e.id)).toEqual([ids[0], ids[3]])
        expect(clicks.hasMore).toBe(true)
        expect((await store.listEvents({ kind: 'open' })).items.every((e) => e.kind === 'open')).toBe(true)
        expect((await store.listEvents({ limit: 1000 })).items).toHaveLength(8)
      })

      it('never lets a poller miss an event that two instances commit at the same time', async () => {
        const other = await open()
        const seen: number[] = []
        let after = 0
        let writing = true
        const poll = async (): Promise<void> => {
          while (writing) {
            const page = await store.listEvents({ after, limit: 1000 })
            for (const event of page.items) seen.push(event.id)
            after = page.items.at(-1)?.id ?? after
            await new Promise((resolve) => setImmediate(resolve))
          }
        }
        const write = async (target: EventStore): Promise<number[]> => {
          const ids: number[] = []
          for (let round = 0; round < 15; round++) {
            const batches = await Promise.all(
              Array.from({ length: 3 }, () => target.recordEvents(Array.from({ length: 4 }, () => ({ event: newEvent(), outbox: [newOutboxItem()] })))),
            )
            for (const batch of batches) ids.push(...batch.map((r) => r.id))
          }
          return ids
        }
        const polling = poll()
        const written = (await Promise.all([write(store), write(other)])).flat()
        writing = false
        await polling
        for (const event of (await store.listEvents({ after, limit: 1000 })).items) seen.push(event.id)
        expect(seen).toEqual([...seen].sort((a, b) => a - b))
        expect(new Set(seen)).toEqual(new Set(written))
        expect(seen).toHaveLength(written.length)
      })

      it('pages the outbox by id and by status', async () => {
        const recorded = await store.recordEvent(newEvent(), [newOutboxItem(), newOutboxItem(), newOutboxItem()])
        const ids = recorded.outbox.map((o) => o.id)
        const first = await store.listOutbox({ limit: 2 })
        expect(first.items.map((o) => o.id)).toEqual(ids.slice(0, 2))
        expect(first.hasMore).toBe(true)
        const rest = await store.listOutbox({ after: first.items.at(-1)?.id })
        expect(rest.items.map((o) => o.id)).toEqual(ids.slice(2))
        expect(rest.hasMore).toBe(false)
        const lease = randomUUID()
        const [claimed] = await store.claimOutbox({ lease, limit: 1, leaseMs: 60_000 })
        expect((await store.listOutbox({ status: 'delivering' })).items.map((o) => o.id)).toEqual([claimed?.id])
        expect((await store.listOutbox({ status: 'pending' })).items.map((o) => o.id)).toEqual(ids.slice(1))
        expect((await store.listOutbox({ status: 'failed' })).items).toEqual([])
      })
    })

    describe('stats', () => {
      it('counts totals and uniques; a click counts as an open of its email; machines apart', async () => {
        const rows: NewTrackingEvent[] = [
          newEvent({ emailId: 'a', metadata: { campaign: 'fall' } }),
          newEvent({ emailId: 'a', metadata: { campaign: 'fall' } }),
          newEvent({ emailId: 'b', kind: 'click', metadata: { campaign: 'fall' }, destination: 'https://x.example/' }),
          newEvent({ emailId: 'b', kind: 'click', metadata: { campaign: 'fall' }, destination: 'https://y.example/' }),
          newEvent({ emailId: 'c', machine: true, label: 'privacy-prefetch', metadata: { campaign: 'fall' } }),
          newEvent({ emailId: 'd', kind: 'click', machine: true, label: 'scanner', metadata: { campaign: 'spring' } }),
          newEvent({ emailId: 'e', metadata: {} }),
          newEvent({ emailId: 'f', metadata: { campaign: null } }),
        ]
        await store.recordEvents(rows.map((event) => ({ event, outbox: [] })))
        expect(await store.stats()).toEqual({ groupBy: null, groups: [], total: { opens: 4, uniqueOpens: 4, clicks: 2, uniqueClicks: 1, machineOpens: 1, machineClicks: 1 } })
        const stats = await store.stats({ groupBy: 'campaign' })
        expect(stats.groupBy).toBe('campaign')
        expect(stats.total).toEqual(expectedCounts(rows))
        expect(sortGroups(stats.groups)).toEqual(sortGroups([
          { value: 'fall', opens: 2, uniqueOpens: 2, clicks: 2, uniqueClicks: 1, machineOpens: 1, machineClicks: 0 },
          { value: 'spring', opens: 0, uniqueOpens: 0, clicks: 0, uniqueClicks: 0, machineOpens: 0, machineClicks: 1 },
          { value: null, opens: 2, uniqueOpens: 2, clicks: 0, uniqueClicks: 0, machineOpens: 0, machineClicks: 0 },
        ]))
        // Most events first.
        expect(stats.groups[0]?.value).toBe('fall')
        expect(await store.stats({ groupBy: 'no_such_key' })).toMatchObject({ groups: [{ value: null, ...expectedCounts(rows) }] })
      })

      it('keeps numbers, strings, booleans and nested values apart when grouping, and takes keys with dots literally', async () => {
        const values: JsonValue[] = [1, '1', true, 1, false, 2.5, 'x', { a: 1 }, [1, 2], [1, 2]]
        const rows = values.map((value, i) => newEvent({ emailId: `e-${i % 4}`, metadata: { v: value, 'a.b': i % 2 }, kind: i % 3 === 0 ? 'click' : 'open', destination: i % 3 === 0 ? 'https://x.example/' : null }))
        await store.recordEvents(rows.map((event) => ({ event, outbox: [] })))
        expect(sortGroups((await store.stats({ groupBy: 'v' })).groups)).toEqual(sortGroups(expectedGroups(rows, 'v')))
        expect(sortGroups((await store.stats({ groupBy: 'a.b' })).groups)).toEqual(sortGroups(expectedGroups(rows, 'a.b')))
      })

      it('agrees with a plain reading of many mixed events, from either instance', async () => {
        const other = await open()
        const rows: NewTrackingEvent[] = []
        for (let i = 0; i < 300; i++) {
          const click = (i * 7) % 5 === 0
          const machine = (i * 11) % 7 === 0
          rows.push(newEvent({
            kind: click ? 'click' : 'open',
            destination: click ? 'https://example.com/' : null,
            emailId: `email-${(i * 13) % 40}`,
            machine,
            label: machine ? 'scanner' : 'human',
            metadata: { campaign: ['a', 'b', 'c', 7][(i * 3) % 4] as JsonValue, message_id: `email-${(i * 13) % 40}` },
          }))
        }
        await store.recordEvents(rows.slice(0, 150).map((event) => ({ event, outbox: [] })))
        await other.recordEvents(rows.slice(150).map((event) => ({ event, outbox: [] })))
        for (const reader of [store, other]) {
          const stats = await reader.stats({ groupBy: 'campaign' })
          expect(stats.total).toEqual(expectedCounts(rows))
          expect(sortGroups(stats.groups)).toEqual(sortGroups(expectedGroups(rows, 'campaign')))
        }
      })
    })

    describe('the outbox', () => {
      it('claims due rows once, under one lease; only the holder completes or fails them', async () => {
        const recorded = await store.recordEvent(newEvent(), [newOutboxItem(), newOutboxItem()])
        const now = Date.now()
        const lease = randomUUID()
        const claimed = await store.claimOutbox({ lease, limit: 10, leaseMs: 60_000, now })
        expect(claimed.map((item) => item.webhookId)).toEqual(recorded.outbox.map((o) => o.webhookId))
        expect(claimed.every((item) => item.status === 'delivering')).toBe(true)
        expect(await store.claimOutbox({ lease: randomUUID(), limit: 10, leaseMs: 60_000, now })).toEqual([])
        const [a, b] = claimed as [OutboxItem, OutboxItem]
        expect(await store.completeOutbox(a.id, randomUUID(), 204)).toBe(false)
        expect(await store.failOutbox(a.id, randomUUID(), { error: 'x', status: 500, retryAt: null })).toBe(false)
        expect(await store.releaseOutbox(a.id, randomUUID())).toBe(false)
        expect((await outboxRow(store, a.id)).status).toBe('delivering')
        expect(await store.completeOutbox(a.id, lease, 204)).toBe(true)
        expect(await store.completeOutbox(a.id, lease, 204)).toBe(false)
        expect(await outboxRow(store, a.id)).toMatchObject({ status: 'delivered', attempts: 1, lastStatus: 204, lastError: null, deliveredAt: expect.any(Number) })

        expect(await store.failOutbox(b.id, lease, { error: 'HTTP 503', status: 503, retryAt: now + 1_000 })).toBe(true)
        expect(await outboxRow(store, b.id)).toMatchObject({ status: 'pending', attempts: 1, lastStatus: 503, lastError: 'HTTP 503', nextAttemptAt: now + 1_000 })
        expect(await store.claimOutbox({ lease, limit: 10, leaseMs: 60_000, now })).toEqual([])
        expect(await store.nextOutboxDue()).toBe(now + 1_000)
        const again = await store.claimOutbox({ lease, limit: 10, leaseMs: 60_000, now: now + 1_000 })
        expect(again.map((item) => [item.webhookId, item.attempts])).toEqual([[b.webhookId, 1]])
        // While held, the next due time is the end of its lease.
        expect(await store.nextOutboxDue()).toBe(now + 61_000)
        expect(await store.releaseOutbox(b.id, lease)).toBe(true)
        expect(await outboxRow(store, b.id)).toMatchObject({ status: 'pending', attempts: 1 })
        expect(await store.claimOutbox({ lease, limit: 10, leaseMs: 60_000 })).toHaveLength(1)
      })

      it('claims the oldest due first and honours the limit', async () => {
        const now = Date.now()
        const lease = randomUUID()
        const { outbox } = await store.recordEvent(newEvent(), [newOutboxItem(), newOutboxItem(), newOutboxItem()])
        const ids = outbox.map((o) => o.id)
        const [first] = await store.claimOutbox({ lease, limit: 1, leaseMs: 60_000, now })
        expect(first?.id).toBe(ids[0])
        await store.failOutbox(ids[0] as number, lease, { error: 'x', status: null, retryAt: now + 10 })
        expect((await store.claimOutbox({ lease, limit: 5, leaseMs: 60_000, now: now + 20 })).map((o) => o.id)).toEqual(ids)
        expect(await store.nextOutboxDue()).toBe(now + 60_020)
      })

      it('never lets two dispatchers on two instances hold one row', async () => {
        const other = await open()
        const recorded = await store.recordEvents(Array.from({ length: 40 }, () => ({ event: newEvent(), outbox: [newOutboxItem(), newOutboxItem()] })))
        const all = recorded.flatMap((r) => r.outbox.map((o) => o.id))
        const holders = new Map<number, string>()
        const dispatch = async (target: EventStore): Promise<void> => {
          const lease = randomUUID()
          for (;;) {
            const items = await target.claimOutbox({ lease, limit: 3, leaseMs: 60_000 })
            if (items.length === 0) return
            for (const item of items) {
              expect(holders.has(item.id), `row ${item.id} claimed twice`).toBe(false)
              holders.set(item.id, lease)
            }
          }
        }
        await Promise.all([dispatch(store), dispatch(other), dispatch(store), dispatch(other)])
        expect([...holders.keys()].sort((a, b) => a - b)).toEqual(all)
        // Each row answers to its holder alone.
        for (const [id, lease] of holders) expect(await other.completeOutbox(id, lease, 200)).toBe(true)
        expect((await store.listOutbox({ status: 'delivered', limit: 1000 })).items).toHaveLength(all.length)
      })

      it('lets another dispatcher take a row whose lease expired (its holder crashed); the old holder can no longer change it', async () => {
        const other = await open()
        const { outbox } = await store.recordEvent(newEvent(), [newOutboxItem()])
        const id = outbox[0]?.id as number
        const now = Date.now()
        const crashed = randomUUID()
        expect(await store.claimOutbox({ lease: crashed, limit: 1, leaseMs: 1_000, now })).toHaveLength(1)
        const next = randomUUID()
        expect(await other.claimOutbox({ lease: next, limit: 1, leaseMs: 60_000, now: now + 999 })).toEqual([])
        const taken = await other.claimOutbox({ lease: next, limit: 1, leaseMs: 60_000, now: now + 1_000 })
        expect(taken.map((item) => [item.id, item.webhookId, item.attempts])).toEqual([[id, outbox[0]?.webhookId, 0]])
        expect(await store.completeOutbox(id, crashed, 200)).toBe(false)
        expect(await store.failOutbox(id, crashed, { error: 'late', status: null, retryAt: null })).toBe(false)
        expect((await outboxRow(other, id)).status).toBe('delivering')
        expect(await other.completeOutbox(id, next, 204)).toBe(true)
        expect(await outboxRow(store, id)).toMatchObject({ status: 'delivered', attempts: 1, lastStatus: 204 })
      })

      it('parks a row failed when its budget is spent, and retries it on request with a fresh budget', async () => {
        const { outbox } = await store.recordEvent(newEvent(), [newOutboxItem(), newOutboxItem()])
        const [a, b] = outbox.map((o) => o.id) as [number, number]
        const lease = randomUUID()
        await store.claimOutbox({ lease, limit: 2, leaseMs: 60_000 })
        expect(await store.failOutbox(a, lease, { error: 'x'.repeat(2_000), status: 500, retryAt: null })).toBe(true)
        await store.completeOutbox(b, lease, 200)
        const failed = (await store.listOutbox({ status: 'failed' })).items
        expect(failed.map((row) => [row.id, row.status, row.attempts, row.lastStatus])).toEqual([[a, 'failed', 1, 500]])
        expect(failed[0]?.lastError?.length).toBeLessThanOrEqual(500)
        expect(await store.nextOutboxDue()).toBeNull()
        expect(await store.claimOutbox({ lease, limit: 2, leaseMs: 60_000, now: Date.now() + 3_600_000 })).toEqual([])
        expect(await store.retryOutbox(b)).toBe(false)
        expect(await store.retryOutbox(a + b + 1000)).toBe(false)
        expect(await store.retryOutbox(a)).toBe(true)
        expect(await store.retryOutbox(a)).toBe(false)
        expect(await outboxRow(store, a)).toMatchObject({ status: 'pending', attempts: 0 })
        const again = await store.claimOutbox({ lease, limit: 2, leaseMs: 60_000 })
        expect(again.map((row) => [row.id, row.webhookId])).toEqual([[a, outbox[0]?.webhookId]])
      })

      it('keeps leases when a store is opened again (another instance may be delivering)', async () => {
        const { outbox } = await store.recordEvent(newEvent(), [newOutboxItem()])
        const lease = randomUUID()
        expect(await store.claimOutbox({ lease, limit: 1, leaseMs: 60_000 })).toHaveLength(1)
        const late = await open()
        expect(await late.claimOutbox({ lease: randomUUID(), limit: 1, leaseMs: 60_000 })).toEqual([])
        expect(await late.completeOutbox(outbox[0]?.id as number, lease, 200)).toBe(true)
      })
    })
  })
}
