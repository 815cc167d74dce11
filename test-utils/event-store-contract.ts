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
  DestinationCounts,
  StatsCounts,
  StatsGroup,
  Timeseries,
  TimeseriesBucket,
  TimeseriesQuery,
  TopDestinationsQuery,
  TrackingEvent,
  VerdictStats,
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

/** A new event as a store lists it: its labels when answered, its first label the one it was recorded with. */
export function asStored(event: NewTrackingEvent, id: number): TrackingEvent {
  const { labels, ...rest } = event
  return {
    ...rest,
    id,
    firstLabel: event.label,
    firstMachine: event.machine,
    labels: labels === undefined ? [{ time: event.time, label: event.label, machine: event.machine, reason: event.labelReason }] : [...labels],
  }
}

/** `Stats.verdicts` of stored events as `VerdictStats` defines it, read plainly. */
export function expectedVerdicts(events: readonly TrackingEvent[]): VerdictStats {
  const perHit = expectedCounts(events.map((event) => ({ ...event, machine: event.labels[0]?.machine ?? event.machine })))
  const machineOpensByReason: Record<string, number> = {}
  const machineClicksByReason: Record<string, number> = {}
  const emails = new Map<string, { prefetches: number; people: number }>()
  for (const event of events) {
    if (event.machine) {
      const byReason = event.kind === 'open' ? machineOpensByReason : machineClicksByReason
      byReason[event.label] = (byReason[event.label] ?? 0) + 1
    }
    const email = emails.get(event.emailId) ?? { prefetches: 0, people: 0 }
    if (event.kind === 'open' && event.label === 'privacy-prefetch') email.prefetches++
    if (!event.machine) email.people++
    emails.set(event.emailId, email)
  }
  const apple = [...emails.values()].filter((email) => email.prefetches > 0)
  return {
    perHit,
    machineOpensByReason,
    machineClicksByReason,
    applePrefetch: {
      opens: apple.reduce((sum, email) => sum + email.prefetches, 0),
      emails: apple.length,
      emailsWithoutPerson: apple.filter((email) => email.people === 0).length,
      openedEmails: emails.size,
    },
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

/** The text form of a metadata value for time queries (`TimeRange.value`); undefined when it has none. */
function textForm(value: JsonValue | undefined): string | undefined {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return value === undefined || value === null ? undefined : JSON.stringify(value)
}

const HOUR = 3_600_000

/**
 * The time series of `events` (with their ids) as `TimeseriesBucket` defines it, read plainly:
 * uniques counted in the bucket of the email's first human open (or click) in id order.
 */
export function expectedTimeseries(events: readonly TrackingEvent[], query: TimeseriesQuery): Timeseries {
  const step = query.interval === 'hour' ? HOUR : 24 * HOUR
  const from = Math.floor(query.from / step) * step
  const to = Math.max(from, Math.ceil(query.to / step) * step)
  const sorted = [...events].sort((a, b) => a.id - b.id)
  const firstOpen = new Set<number>()
  const firstClick = new Set<number>()
  const opened = new Set<string>()
  const clicked = new Set<string>()
  for (const event of sorted) {
    if (event.machine) continue
    if (!opened.has(event.emailId)) (opened.add(event.emailId), firstOpen.add(event.id))
    if (event.kind === 'click' && !clicked.has(event.emailId)) (clicked.add(event.emailId), firstClick.add(event.id))
  }
  const buckets: TimeseriesBucket[] = []
  for (let time = from; time < to; time += step) buckets.push({ time, ...blank() })
  const total = blank()
  for (const event of sorted) {
    if (query.groupBy !== undefined && query.value !== undefined && textForm(event.metadata[query.groupBy]) !== query.value) continue
    const bucket = buckets[Math.floor((event.time - from) / step)]
    if (bucket === undefined || event.time < from) continue
    const add = (name: keyof StatsCounts): void => {
      bucket[name]++
      total[name]++
    }
    if (event.machine) add(event.kind === 'open' ? 'machineOpens' : 'machineClicks')
    else add(event.kind === 'open' ? 'opens' : 'clicks')
    if (firstOpen.has(event.id)) add('uniqueOpens')
    if (firstClick.has(event.id)) add('uniqueClicks')
  }
  return { from, to, interval: query.interval, buckets, total }
}

/** The top destinations of `events` as `DestinationCounts` defines them, read plainly. */
export function expectedTopDestinations(events: readonly TrackingEvent[], query: TopDestinationsQuery): DestinationCounts[] {
  const from = Math.floor(query.from / HOUR) * HOUR
  const to = Math.ceil(query.to / HOUR) * HOUR
  const seen = new Set<string>()
  const byDestination = new Map<string, DestinationCounts>()
  for (const event of [...events].sort((a, b) => a.id - b.id)) {
    if (event.kind !== 'click' || event.destination === null) continue
    const first = !event.machine && !seen.has(`${event.emailId} ${event.destination}`)
    if (first) seen.add(`${event.emailId} ${event.destination}`)
    if (event.time < from || event.time >= to) continue
    if (query.groupBy !== undefined && query.value !== undefined && textForm(event.metadata[query.groupBy]) !== query.value) continue
    const counts = byDestination.get(event.destination) ?? { destination: event.destination, clicks: 0, uniqueClicks: 0, machineClicks: 0 }
    if (event.machine) counts.machineClicks++
    else counts.clicks++
    if (first) counts.uniqueClicks++
    byDestination.set(event.destination, counts)
  }
  return [...byDestination.values()]
    .sort((a, b) => b.clicks - a.clicks || (a.destination < b.destination ? -1 : 1))
    .slice(0, query.limit ?? 10)
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
        expect(stored).toEqual(asStored(event, recorded.id))
        const [row] = (await other.listOutbox()).items
        expect(row).toMatchObject({ id: recorded.outbox[0]?.id, webhookId: item.webhookId, eventId: recorded.id, url: item.url, payload: item.payload, status: 'pending', attempts: 0, lastError: null, lastStatus: null, deliveredAt: null })
        expect(row?.createdAt).toBe(event.time)
      })

      it('keeps every field as given, nulls and machine labels included', async () => {
        const bare = newEvent({ clientIp: null, userAgent: null, requestData: null, machine: true, label: 'privacy-prefetch', labelReason: 'Apple Mail Privacy Protection', metadata: {} })
        const { id } = await store.recordEvent(bare, [])
        expect((await store.listEvents()).items).toEqual([asStored(bare, id)])
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
        const total = { opens: 4, uniqueOpens: 4, clicks: 2, uniqueClicks: 1, machineOpens: 1, machineClicks: 1 }
        expect(await store.stats()).toEqual({
          groupBy: null,
          groups: [],
          total,
          verdicts: {
            perHit: total,
            machineOpensByReason: { 'privacy-prefetch': 1 },
            machineClicksByReason: { scanner: 1 },
            applePrefetch: { opens: 1, emails: 1, emailsWithoutPerson: 1, openedEmails: 6 },
          },
        })
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

    describe('verdicts that change', () => {
      it('keeps the labels an event had when answered: the per-hit one first, the verdict that replaced it current', async () => {
        const time = Date.now()
        const event = newEvent({
          kind: 'click',
          destination: 'https://x.example/',
          machine: true,
          label: 'burst',
          labelReason: 'links clicked within seconds',
          labels: [
            { time, label: 'human', machine: false, reason: 'no machine signal' },
            { time, label: 'burst', machine: true, reason: 'links clicked within seconds' },
          ],
        })
        const { id } = await store.recordEvent(event, [])
        const [stored] = (await store.listEvents()).items
        expect(stored).toEqual(asStored(event, id))
        expect(stored).toMatchObject({ firstLabel: 'burst', firstMachine: true })
        // The per-hit label alone counted it as a person's click.
        expect((await store.stats()).verdicts.perHit).toMatchObject({ clicks: 1, uniqueClicks: 1, machineClicks: 0 })
        expect((await store.stats()).total).toMatchObject({ clicks: 0, uniqueClicks: 0, machineClicks: 1 })
      })

      it('makes events machine traffic, keeps the first label and every reason, and writes the outbox rows with it, for every instance', async () => {
        const other = await open()
        const first = newEvent({ kind: 'click', emailId: 'a', destination: 'https://x.example/', labelReason: 'no machine signal' })
        const second = newEvent({ kind: 'click', emailId: 'a', destination: 'https://y.example/', machine: true, label: 'scanner', labelReason: 'no Accept' })
        const [a, b] = await store.recordEvents([{ event: first, outbox: [] }, { event: second, outbox: [] }])
        const item = newOutboxItem()
        const changed = await store.reclassifyEvents({
          time: first.time + 2_000,
          eventId: b!.id,
          changes: [
            { id: a!.id, label: 'burst', reason: 'links clicked within seconds' },
            { id: 999_999, label: 'burst', reason: 'no such event' },
          ],
          outbox: [item],
        })
        expect(changed).toEqual([a!.id])
        const [stored] = (await other.listEvents()).items
        expect(stored).toEqual({
          ...asStored(first, a!.id),
          label: 'burst',
          machine: true,
          labelReason: 'links clicked within seconds',
          labels: [
            { time: first.time, label: 'human', machine: false, reason: 'no machine signal' },
            { time: first.time + 2_000, label: 'burst', machine: true, reason: 'links clicked within seconds' },
          ],
        })
        expect(stored).toMatchObject({ firstLabel: 'human', firstMachine: false })
        const [row] = (await other.listOutbox()).items
        expect(row).toMatchObject({ webhookId: item.webhookId, eventId: b!.id, payload: item.payload, status: 'pending', createdAt: first.time + 2_000, nextAttemptAt: first.time + 2_000 })
        // A second change keeps the whole history; the per-hit label stays first.
        await other.reclassifyEvents({ time: first.time + 3_000, eventId: b!.id, changes: [{ id: a!.id, label: 'trap', reason: 'trap' }], outbox: [] })
        const again = (await store.listEvents()).items[0]!
        expect(again.labels.map((label) => label.label)).toEqual(['human', 'burst', 'trap'])
        expect(again).toMatchObject({ firstLabel: 'human', label: 'trap', machine: true })
      })

      it('counts after verdicts, beside the per-hit counts, machines by reason, and the emails Apple alone opened', async () => {
        const rows: NewTrackingEvent[] = [
          newEvent({ emailId: 'a', kind: 'click', destination: 'https://x.example/' }),
          newEvent({ emailId: 'a', kind: 'click', destination: 'https://y.example/' }),
          newEvent({ emailId: 'b', kind: 'click', destination: 'https://x.example/' }),
          newEvent({ emailId: 'c', machine: true, label: 'privacy-prefetch' }),
          newEvent({ emailId: 'd', machine: true, label: 'privacy-prefetch' }),
          newEvent({ emailId: 'd', kind: 'click', destination: 'https://x.example/' }),
        ]
        const ids = (await store.recordEvents(rows.map((event) => ({ event, outbox: [] })))).map((recorded) => recorded.id)
        await store.reclassifyEvents({ time: Date.now(), eventId: ids[1]!, changes: [ids[0]!, ids[1]!].map((id) => ({ id, label: 'burst', reason: 'burst' })), outbox: [] })
        const { total, verdicts } = await store.stats()
        expect(total).toEqual({ opens: 0, uniqueOpens: 2, clicks: 2, uniqueClicks: 2, machineOpens: 2, machineClicks: 2 })
        expect(verdicts).toEqual({
          perHit: { opens: 0, uniqueOpens: 3, clicks: 4, uniqueClicks: 3, machineOpens: 2, machineClicks: 0 },
          machineOpensByReason: { 'privacy-prefetch': 2 },
          machineClicksByReason: { burst: 2 },
          applePrefetch: { opens: 2, emails: 2, emailsWithoutPerson: 1, openedEmails: 4 },
        })
        expect(verdicts).toEqual(expectedVerdicts(await everyEvent(store)))
      })

      it('keeps the verdict figures equal to a count of the events through writes, relabels, anonymising, erasure and retention, on every instance', async () => {
        const other = await open()
        const now = Date.now()
        const labelsOf = ['human', 'privacy-prefetch', 'scanner', 'human', 'burst', 'human', 'delivery-scan']
        const rows = (offset: number, count: number): NewTrackingEvent[] =>
          Array.from({ length: count }, (_, i) => {
            const n = offset + i
            const label = labelsOf[(n * 5) % labelsOf.length] ?? 'human'
            const click = label !== 'privacy-prefetch' && label !== 'delivery-scan' && n % 3 === 0
            const machine = label !== 'human'
            // Some machines were people by their per-hit label, judged machines across hits when answered.
            const judged = label === 'burst'
            return newEvent({
              kind: click ? 'click' : 'open',
              time: now - (count - i) * 1_000 - offset * 10,
              emailId: `email-${(n * 7) % 23}`,
              destination: click ? `https://example.com/${n % 4}` : null,
              machine,
              label,
              metadata: { message_id: `email-${(n * 7) % 23}`, campaign: ['fall', 'spring'][n % 2] ?? null },
              ...(judged ? { labels: [{ time: now, label: 'human', machine: false, reason: null }, { time: now, label, machine: true, reason: label }] } : {}),
            })
          })
        const check = async (): Promise<void> => {
          const events = await everyEvent(store)
          for (const reader of [store, other]) {
            const { total, verdicts } = await reader.stats()
            expect(verdicts).toEqual(expectedVerdicts(events))
            expect(total).toEqual(expectedCounts(events))
            // Groups by a key some events lost (anonymised), and by the email's own key.
            for (const key of ['campaign', 'message_id']) {
              const grouped = await reader.stats({ groupBy: key })
              expect(sortGroups(grouped.groups)).toEqual(sortGroups(expectedGroups(events, key)))
              expect(grouped.total).toEqual(expectedCounts(events))
            }
          }
        }
        await check()
        const first = (await store.recordEvents(rows(0, 60).map((event) => ({ event, outbox: [newOutboxItem()] })))).map((r) => r.id)
        await other.recordEvents(rows(60, 1).map((event) => ({ event, outbox: [] })))
        await check()
        // Relabels: people become machines (some twice, some already machines), an email's last person included.
        await other.reclassifyEvents({ time: now, eventId: first[0]!, changes: first.filter((_, i) => i % 4 === 0).map((id) => ({ id, label: 'burst', reason: 'burst' })), outbox: [] })
        await store.reclassifyEvents({ time: now, eventId: first[1]!, changes: first.filter((_, i) => i % 8 === 1).map((id) => ({ id, label: 'privacy-prefetch', reason: 'apple' })), outbox: [] })
        await check()
        await store.recordEvents(rows(61, 30).map((event) => ({ event, outbox: [] })))
        expect(await store.anonymizeEvents({ before: now, limit: 20, dropKeys: ['campaign'] })).toBe(20)
        await check()
        expect((await other.eraseEvents({ emailId: 'email-7' })).events).toBeGreaterThan(0)
        expect((await store.eraseEvents({ key: 'message_id', value: 'email-14' })).events).toBeGreaterThan(0)
        await check()
        expect((await store.deleteEvents({ before: now - 40_000, limit: 10 })).events).toBe(10)
        await check()
        // Every event gone: nothing counted, no email left in the kept rows.
        while ((await store.deleteEvents({ before: now + 1, limit: 50 })).events > 0);
        await check()
        expect((await store.stats()).verdicts.applePrefetch.openedEmails).toBe(0)
      })

      it('keeps the time queries true when events they already count turn machine, firsts included, on every instance', async () => {
        const other = await open()
        const start = Date.UTC(2026, 10, 2, 21, 30)
        const rows: NewTrackingEvent[] = []
        for (let n = 0; n < 240; n++) {
          const click = n % 3 !== 0
          const email = `email-${n % 30}`
          rows.push(newEvent({
            kind: click ? 'click' : 'open',
            time: start + ((n * 7919) % (6 * 60)) * 60_000,
            destination: click ? `https://example.com/${['sale', 'shoes'][n % 2] ?? ''}` : null,
            emailId: email,
            metadata: { campaign: ['fall', 'spring'][n % 2] ?? null, message_id: email },
          }))
        }
        const ids = (await store.recordEvents(rows.map((event) => ({ event, outbox: [] })))).map((recorded) => recorded.id)
        const queries: TimeseriesQuery[] = [
          { from: start, to: start + 6 * HOUR, interval: 'hour' },
          { from: start, to: start + 6 * HOUR, interval: 'hour', groupBy: 'campaign', value: 'fall' },
        ]
        const check = async (): Promise<void> => {
          const events = await everyEvent(store)
          for (const reader of [store, other]) {
            for (const query of queries) {
              expect(await reader.timeseries(query)).toEqual(expectedTimeseries(events, query))
              expect(await reader.topDestinations(query)).toEqual(expectedTopDestinations(events, query))
            }
            expect((await reader.stats()).verdicts).toEqual(expectedVerdicts(events))
          }
        }
        await check() // both keys rolled up
        // The first events of every email (their first open, click and click on a destination) and others, some twice.
        const changes = ids.filter((_, i) => i < 60 || i % 7 === 0).map((id) => ({ id, label: 'burst', reason: 'burst' }))
        await other.reclassifyEvents({ time: start, eventId: ids[0]!, changes, outbox: [] })
        await store.reclassifyEvents({ time: start, eventId: ids[0]!, changes: changes.slice(0, 10), outbox: [] })
        await check()
        // Events recorded after the reclassification, and a reclassification of events not rolled up yet.
        const later = (await other.recordEvents(rows.slice(0, 40).map((event) => ({ event: { ...event, metadata: { ...event.metadata } }, outbox: [] })))).map((recorded) => recorded.id)
        await store.reclassifyEvents({ time: start, eventId: later[0]!, changes: later.slice(0, 20).map((id) => ({ id, label: 'trap', reason: 'trap' })), outbox: [] })
        await check()
      })
    })

    describe('time queries', () => {
      // Three days of mixed events over campaigns of several types, out of time order here and there.
      const start = Date.UTC(2026, 10, 2, 21, 30)
      function mixedEvents(count: number, offset = 0): NewTrackingEvent[] {
        const rows: NewTrackingEvent[] = []
        for (let n = offset; n < offset + count; n++) {
          const click = (n * 7) % 5 === 0
          const machine = (n * 11) % 7 === 0
          const email = `email-${(n * 13) % 50}`
          rows.push(newEvent({
            kind: click ? 'click' : 'open',
            time: start + ((n * 7919) % (72 * 60)) * 60_000,
            destination: click ? `https://example.com/${['sale', 'shoes', 'hats'][n % 3] ?? ''}` : null,
            emailId: email,
            machine,
            label: machine ? 'scanner' : 'human',
            metadata: { campaign: ['fall', 'spring', 7, true][(n * 3) % 4] as JsonValue, message_id: email },
          }))
        }
        return rows
      }

      it('counts over hours and days, of everything and of one value, as a plain reading does; uniques in the bucket of the first open', async () => {
        await store.recordEvents(mixedEvents(400).map((event) => ({ event, outbox: [] })))
        const events = await everyEvent(store)
        const queries: TimeseriesQuery[] = [
          { from: start, to: start + 72 * HOUR, interval: 'hour' },
          { from: start - 5 * HOUR, to: start + 80 * HOUR, interval: 'day' },
          { from: start + 10 * HOUR + 1, to: start + 30 * HOUR - 1, interval: 'hour', groupBy: 'campaign', value: 'fall' },
          { from: start, to: start + 72 * HOUR, interval: 'day', groupBy: 'campaign', value: '7' },
          { from: start, to: start + 72 * HOUR, interval: 'hour', groupBy: 'campaign', value: 'true' },
          { from: start, to: start + 72 * HOUR, interval: 'hour', groupBy: 'campaign', value: 'winter' },
          { from: start, to: start + 72 * HOUR, interval: 'hour', groupBy: 'no_such_key', value: 'x' },
        ]
        for (const query of queries) expect(await store.timeseries(query)).toEqual(expectedTimeseries(events, query))
        const hourly = await store.timeseries(queries[0] as TimeseriesQuery)
        expect(hourly.buckets).toHaveLength(73)
        expect(hourly.buckets[0]?.time).toBe(Date.UTC(2026, 10, 2, 21))
        // A range that holds everything counts what stats counts.
        expect((await store.timeseries({ from: 0, to: start + 100 * HOUR, interval: 'day' })).total).toEqual((await store.stats()).total)
      })

      it('adds events recorded since the last query, from any instance', async () => {
        const other = await open()
        const query: TimeseriesQuery = { from: start, to: start + 72 * HOUR, interval: 'hour', groupBy: 'campaign', value: 'spring' }
        await store.recordEvents(mixedEvents(150).map((event) => ({ event, outbox: [] })))
        expect(await other.timeseries(query)).toEqual(expectedTimeseries(await everyEvent(store), query))
        await other.recordEvents(mixedEvents(150, 150).map((event) => ({ event, outbox: [] })))
        for (const reader of [store, other]) {
          expect(await reader.timeseries(query)).toEqual(expectedTimeseries(await everyEvent(store), query))
          expect(await reader.topDestinations(query)).toEqual(expectedTopDestinations(await everyEvent(store), query))
        }
        expect((await store.timeseries({ from: start + HOUR, to: start, interval: 'hour' })).buckets).toEqual([])
      })

      it('ranks destinations by human clicks, with uniques and machine clicks apart, within the range and the value', async () => {
        await store.recordEvents(mixedEvents(400).map((event) => ({ event, outbox: [] })))
        const events = await everyEvent(store)
        const queries: TopDestinationsQuery[] = [
          { from: 0, to: start + 100 * HOUR },
          { from: start + 24 * HOUR, to: start + 48 * HOUR, limit: 2 },
          { from: 0, to: start + 100 * HOUR, groupBy: 'campaign', value: 'fall', limit: 1 },
          { from: 0, to: start + 100 * HOUR, groupBy: 'campaign', value: 'none' },
        ]
        for (const query of queries) expect(await store.topDestinations(query)).toEqual(expectedTopDestinations(events, query))
        const [top] = await store.topDestinations({ from: 0, to: start + 100 * HOUR })
        expect(top?.clicks).toBeGreaterThan(0)
      })

      it('lists the values of a key in the range, most events first, with the counts of each', async () => {
        const rows = [...mixedEvents(200), newEvent({ time: start, metadata: { campaign: null } }), newEvent({ time: start, metadata: { campaign: { a: 1 } } })]
        await store.recordEvents(rows.map((event) => ({ event, outbox: [] })))
        const events = await everyEvent(store)
        for (const [from, to] of [[0, start + 100 * HOUR], [start + 24 * HOUR, start + 30 * HOUR]] as const) {
          const values = await store.topValues({ groupBy: 'campaign', from, to })
          const expected = ['fall', 'spring', '7', 'true', '{"a":1}']
            .map((value) => ({ value, ...expectedTimeseries(events, { from, to, interval: 'hour', groupBy: 'campaign', value }).total }))
            .filter((counts) => counts.opens + counts.clicks + counts.machineOpens + counts.machineClicks > 0)
            .sort((a, b) => b.opens + b.clicks + b.machineOpens + b.machineClicks - (a.opens + a.clicks + a.machineOpens + a.machineClicks) || (a.value < b.value ? -1 : 1))
          expect(values).toEqual(expected)
        }
        expect(await store.topValues({ groupBy: 'campaign', from: 0, to: start + 100 * HOUR, limit: 2 })).toHaveLength(2)
        expect(await store.topValues({ groupBy: 'no_such_key', from: 0, to: start + 100 * HOUR })).toEqual([])
      })
    })

    describe('privacy and retention', () => {
      const campaignStats = async (target: EventStore) => ({ all: await target.stats(), byCampaign: sortGroups((await target.stats({ groupBy: 'campaign' })).groups) })

      it('lists the events of one email or one recipient, values of other JSON types apart', async () => {
        const rows = [
          newEvent({ emailId: 'a', metadata: { customer_id: 1, campaign: 'x' } }),
          newEvent({ emailId: 'a', kind: 'click', destination: 'https://x.example/', metadata: { customer_id: 1, campaign: 'x' } }),
          newEvent({ emailId: 'b', metadata: { customer_id: '1' } }),
          newEvent({ emailId: 'c', metadata: { customer_id: true } }),
          newEvent({ emailId: 'd', metadata: { customer_id: { id: 1 } } }),
          newEvent({ emailId: 'e', metadata: {} }),
          newEvent({ emailId: 'f', metadata: { customer_id: 1.5 } }),
        ]
        const ids = (await store.recordEvents(rows.map((event) => ({ event, outbox: [] })))).map((r) => r.id)
        const of = async (subject: Parameters<EventStore['eraseEvents']>[0], limit?: number) =>
          (await store.listEvents({ subject, limit })).items.map((e) => e.id)
        expect(await of({ emailId: 'a' })).toEqual(ids.slice(0, 2))
        expect(await of({ key: 'customer_id', value: 1 })).toEqual(ids.slice(0, 2))
        expect(await of({ key: 'customer_id', value: '1' })).toEqual([ids[2]])
        expect(await of({ key: 'customer_id', value: true })).toEqual([ids[3]])
        expect(await of({ key: 'customer_id', value: { id: 1 } })).toEqual([ids[4]])
        expect(await of({ key: 'customer_id', value: 1.5 })).toEqual([ids[6]])
        expect(await of({ key: 'customer_id', value: 2 })).toEqual([])
        expect(await of({ emailId: 'zz' })).toEqual([])
        const firstPage = await store.listEvents({ subject: { key: 'customer_id', value: 1 }, limit: 1 })
        expect([firstPage.items.map((e) => e.id), firstPage.hasMore]).toEqual([[ids[0]], true])
        expect((await store.listEvents({ subject: { emailId: 'a' }, kind: 'click' })).items.map((e) => e.id)).toEqual([ids[1]])
      })

      it('erases every event of a subject and all their outbox rows, on every instance, and nothing else', async () => {
        const other = await open()
        const mine = [newEvent({ metadata: { customer_id: 7 } }), newEvent({ kind: 'click', destination: 'https://x.example/', metadata: { customer_id: 7 } })]
        const theirs = newEvent({ metadata: { customer_id: 8 } })
        const recorded = await store.recordEvents([...mine, theirs].map((event) => ({ event, outbox: [newOutboxItem(), newOutboxItem()] })))
        const lease = randomUUID()
        const [delivered] = await store.claimOutbox({ lease, limit: 1, leaseMs: 60_000 })
        await store.completeOutbox(delivered?.id as number, lease, 200)
        expect(await other.eraseEvents({ key: 'customer_id', value: 7 })).toEqual({ events: 2, outbox: 4 })
        expect((await everyEvent(store)).map((e) => e.id)).toEqual([recorded[2]?.id])
        expect((await store.listOutbox()).items.map((o) => o.eventId)).toEqual([recorded[2]?.id, recorded[2]?.id])
        expect(await store.eraseEvents({ key: 'customer_id', value: 7 })).toEqual({ events: 0, outbox: 0 })
        expect(await store.eraseEvents({ emailId: theirs.emailId })).toEqual({ events: 1, outbox: 2 })
        expect(await store.stats()).toMatchObject({ total: expectedCounts([]) })
      })

      it('anonymises old events in passes, oldest first: client fields and dropped keys go, stats stay', async () => {
        const now = Date.now()
        const old = Array.from({ length: 5 }, (_, i) =>
          newEvent({
            time: now - 10_000 + i,
            kind: i % 2 === 0 ? 'open' : 'click',
            destination: i % 2 === 0 ? null : 'https://x.example/',
            emailId: `old-${i % 2}`,
            machine: i === 4,
            label: i === 4 ? 'scanner' : 'human',
            metadata: { campaign: i < 3 ? 'fall' : 'spring', email: `p${i}@example.com` },
            requestData: { user_ip: '198.51.100.7', user_agent: 'Mozilla/5.0 (Secret)', referer: 'https://mail.example/box/42', method: 'GET' },
            clientIp: '198.51.100.7',
            userAgent: 'Mozilla/5.0 (Secret)',
          }),
        )
        const recent = newEvent({ time: now, metadata: { campaign: 'fall', email: 'new@example.com' } })
        const recorded = await store.recordEvents([...old, recent].map((event) => ({
          event,
          outbox: [{ ...newOutboxItem(), payload: JSON.stringify({ metadata: event.metadata, request_data: event.requestData, is_open_tracking: true }) }],
        })))
        const before = await campaignStats(store)
        const pass = { before: now - 1_000, limit: 2, dropKeys: ['email'] }
        expect(await store.anonymizeEvents(pass)).toBe(2)
        expect((await everyEvent(store)).filter((e) => e.clientIp === null).map((e) => e.id)).toEqual(recorded.slice(0, 2).map((r) => r.id))
        expect(await store.anonymizeEvents(pass)).toBe(2)
        expect(await store.anonymizeEvents(pass)).toBe(1)
        expect(await store.anonymizeEvents(pass)).toBe(0)
        const events = await everyEvent(store)
        for (const [i, event] of events.slice(0, 5).entries()) {
          const original = old[i] as NewTrackingEvent
          expect(event).toEqual({
            ...asStored(original, recorded[i]?.id as number),
            clientIp: null,
            userAgent: null,
            metadata: { campaign: original.metadata.campaign },
            requestData: { method: 'GET' },
          })
        }
        expect(events[5]).toEqual(asStored(recent, recorded[5]?.id as number))
        const payloads = (await store.listOutbox()).items.map((o) => JSON.parse(o.payload) as Record<string, unknown>)
        for (const payload of payloads.slice(0, 5)) {
          expect(JSON.stringify(payload)).not.toMatch(/198\.51|Secret|@example|mail\.example/)
          expect(payload).toMatchObject({ is_open_tracking: true, request_data: { method: 'GET' } })
        }
        expect(payloads[5]).toMatchObject({ metadata: { email: 'new@example.com' } })
        expect(await campaignStats(store)).toEqual(before)
        // Without keys to drop, metadata stays as it was.
        expect(await store.anonymizeEvents({ before: now + 1, limit: 10, dropKeys: [] })).toBe(1)
        expect((await everyEvent(store))[5]).toMatchObject({ metadata: recent.metadata, clientIp: null })
      })

      it('deletes old events in passes with their outbox rows; ids keep increasing', async () => {
        const now = Date.now()
        const rows = [newEvent({ time: now - 3_000 }), newEvent({ time: now - 2_000 }), newEvent({ time: now - 1_000 }), newEvent({ time: now })]
        const recorded = await store.recordEvents(rows.map((event) => ({ event, outbox: [newOutboxItem()] })))
        expect(await store.deleteEvents({ before: now - 500, limit: 2 })).toEqual({ events: 2, outbox: 2 })
        expect(await store.deleteEvents({ before: now - 500, limit: 2 })).toEqual({ events: 1, outbox: 1 })
        expect(await store.deleteEvents({ before: now - 500, limit: 2 })).toEqual({ events: 0, outbox: 0 })
        expect((await everyEvent(store)).map((e) => e.id)).toEqual([recorded[3]?.id])
        expect((await store.listOutbox()).items.map((o) => o.eventId)).toEqual([recorded[3]?.id])
        const next = await store.recordEvent(newEvent(), [])
        expect(next.id).toBeGreaterThan(recorded[3]?.id as number)
        expect(await store.stats()).toMatchObject({ total: expectedCounts([rows[3] as NewTrackingEvent, newEvent()]) })
      })

      it('keeps the time queries true to the events left after an erasure, a deletion or dropped keys', async () => {
        const now = Date.now()
        const values = async (key: string) =>
          (await store.topValues({ groupBy: key, from: 0, to: now + 3_600_000 })).map((v) => [v.value, v.opens + v.clicks + v.machineOpens + v.machineClicks])
        await store.recordEvents([
          newEvent({ time: now - 5_000, metadata: { campaign: 'fall', customer_id: 'c-1', email: 'a@example.com' } }),
          newEvent({ time: now - 4_000, metadata: { campaign: 'fall', customer_id: 'c-2', email: 'b@example.com' } }),
          newEvent({ time: now - 3_000, metadata: { campaign: 'spring', customer_id: 'c-1', email: 'a@example.com' } }),
          newEvent({ time: now, metadata: { campaign: 'spring', customer_id: 'c-3', email: 'c@example.com' } }),
        ].map((event) => ({ event, outbox: [] })))
        expect(await values('campaign')).toEqual([['fall', 2], ['spring', 2]])
        expect((await values('email')).map(([value]) => value).sort()).toEqual(['a@example.com', 'b@example.com', 'c@example.com'])
        await store.eraseEvents({ key: 'customer_id', value: 'c-1' })
        expect(await values('campaign')).toEqual([['fall', 1], ['spring', 1]])
        expect(await store.deleteEvents({ before: now - 1_000, limit: 10 })).toEqual({ events: 1, outbox: 0 })
        expect(await values('campaign')).toEqual([['spring', 1]])
        expect(await store.anonymizeEvents({ before: now + 1, limit: 10, dropKeys: ['email'] })).toBe(1)
        expect(await values('email')).toEqual([])
        expect(await values('campaign')).toEqual([['spring', 1]])
      })

      it("counts an email's next event as its unique open and click once its first ones are deleted", async () => {
        const now = Date.now()
        const email = { emailId: 'kept-email', metadata: { campaign: 'fall' } }
        const click = { kind: 'click' as const, destination: 'https://x.example/' }
        const rows = [
          newEvent({ ...email, time: now - 10 * HOUR }),
          newEvent({ ...email, ...click, time: now - 10 * HOUR + 1 }),
          newEvent({ ...email, time: now }),
          newEvent({ ...email, ...click, time: now + 1 }),
        ]
        await store.recordEvents(rows.map((event) => ({ event, outbox: [] })))
        expect(await store.deleteEvents({ before: now - HOUR, limit: 10 })).toEqual({ events: 2, outbox: 0 })
        const left = rows.slice(2)
        expect((await store.stats({ groupBy: 'campaign' })).groups).toEqual([{ value: 'fall', ...expectedCounts(left) }])
        const range = { from: now - 2 * HOUR, to: now + 2 * HOUR }
        expect((await store.timeseries({ ...range, interval: 'hour' })).total).toEqual(expectedCounts(left))
        expect(await store.topDestinations(range)).toEqual([{ destination: 'https://x.example/', clicks: 1, uniqueClicks: 1, machineClicks: 0 }])
      })

      it('prunes only delivered outbox rows delivered before the cutoff', async () => {
        const { outbox } = await store.recordEvent(newEvent(), [newOutboxItem(), newOutboxItem(), newOutboxItem()])
        const [a, b] = outbox.map((o) => o.id) as [number, number, number]
        const lease = randomUUID()
        await store.claimOutbox({ lease, limit: 2, leaseMs: 60_000 })
        await store.completeOutbox(a, lease, 200)
        await store.failOutbox(b, lease, { error: 'x', status: 500, retryAt: null })
        const deliveredAt = (await outboxRow(store, a)).deliveredAt as number
        expect(await store.pruneOutbox({ before: deliveredAt, limit: 10 })).toBe(0)
        expect(await store.pruneOutbox({ before: deliveredAt + 1, limit: 10 })).toBe(1)
        expect((await store.listOutbox()).items.map((o) => o.status)).toEqual(['failed', 'pending'])
        expect((await store.listEvents()).items).toHaveLength(1)
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
