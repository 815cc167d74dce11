import type { JsonValue, RequestData } from '@pytrack/core'

/**
 * A value now or later: the SQLite store answers synchronously, a network store with a promise.
 *
 * @example
 * ```ts
 * const answer: Awaitable<Stats> = store.stats()
 * const stats = await answer // works for a synchronous and an asynchronous store
 * ```
 */
export type Awaitable<T> = T | Promise<T>

/**
 * An open or a click, as the server records it.
 *
 * @example
 * ```ts
 * const event: NewTrackingEvent = { kind: 'open', time: Date.now(), emailId: 'message_id="m-1"', metadata: { message_id: 'm-1' }, destination: null, clientIp: null, userAgent: null, machine: false, label: 'human', labelReason: null, requestData: null }
 * ```
 */
export interface NewTrackingEvent {
  /** `open` (the pixel was fetched) or `click` (the redirect was followed). */
  kind: 'open' | 'click'
  /** When the request arrived, in milliseconds since the epoch. */
  time: number
  /**
   * Which email the event belongs to, for unique counts: the metadata value under the
   * server's `emailKey` (default `message_id`), else the whole metadata as canonical JSON.
   */
  emailId: string
  /** The metadata the link carried (with default metadata added). */
  metadata: Record<string, JsonValue>
  /** Where a click redirected to; null for opens. */
  destination: string | null
  /** The client's IP address (pytracking's `user_ip`, after trusted proxies); null when unknown. */
  clientIp: string | null
  /** The client's `User-Agent` (pytracking's `user_agent`); null when it sent none. */
  userAgent: string | null
  /** True when the request came from a machine (mail proxy, privacy prefetch, scanner, bot). */
  machine: boolean
  /** The classification label @pytrack/http gave the request, such as `human` or `privacy-prefetch`. */
  label: string
  /** Why the request got its label, when known. */
  labelReason: string | null
  /** Everything the HTTP handler knew about the request (pytracking's `request_data`). */
  requestData: RequestData | null
  /**
   * Its labels when answered, first to current, when it had more than one then: the per-hit
   * label of @pytrack/http, then the verdict across the email's hits that replaced it at once
   * (the last entry is `label`). Absent: `label` is its only label.
   */
  labels?: readonly LabelChange[] | undefined
}

/**
 * One label of an event, and why it got it.
 *
 * @example
 * ```ts
 * const current: LabelChange | undefined = event.labels.at(-1)
 * ```
 */
export interface LabelChange {
  /** When the event got this label, in ms since the epoch. */
  time: number
  /** The label, such as `human`, `scanner` or `burst`. */
  label: string
  /** Whether it counts as machine traffic. */
  machine: boolean
  /** Why, when known. */
  reason: string | null
}

/**
 * A stored event: a {@link NewTrackingEvent} with its id (increasing in insertion order).
 *
 * @example
 * ```ts
 * const { items }: Page<TrackingEvent> = await store.listEvents({ kind: 'click' })
 * items[0]?.destination
 * ```
 */
export interface TrackingEvent extends NewTrackingEvent {
  /** The event's id, increasing in insertion order. */
  id: number
  /** The label the hit got when it was answered; `label` is the current one, which a later verdict may change. */
  firstLabel: string
  /** Whether the first label counted as machine traffic; `machine` is the current verdict. */
  firstMachine: boolean
  /** Every label the event has had, first to current (the per-hit one first), each with its time and reason. */
  labels: LabelChange[]
}

/**
 * An event that is machine traffic now, for {@link EventStore.reclassifyEvents}.
 *
 * @example
 * ```ts
 * const change: EventReclassification = { id: 7, label: 'burst', reason: 'one of several links of the email clicked within seconds' }
 * ```
 */
export interface EventReclassification {
  /** The event's id. */
  id: number
  /** Its new current label (a machine's). */
  label: string
  /** Why it changed. */
  reason: string
}

/**
 * What {@link EventStore.reclassifyEvents} writes in one transaction.
 *
 * @example
 * ```ts
 * await store.reclassifyEvents({ time: Date.now(), eventId: 12, changes: [change], outbox: [{ webhookId, url, payload }] })
 * ```
 */
export interface ReclassifyRequest {
  /** When the verdict was made, in ms since the epoch: the time of the new labels and of the outbox rows. */
  time: number
  /** The event whose hit revealed the others: the outbox rows belong to it. */
  eventId: number
  /** The events that are machine traffic now; ids the store does not have are skipped. */
  changes: readonly EventReclassification[]
  /** The webhook deliveries telling receivers (a `reclassified` payload each). */
  outbox: readonly NewOutboxItem[]
}

/**
 * A webhook delivery to write in the same transaction as its event.
 *
 * @example
 * ```ts
 * const item: NewOutboxItem = { webhookId: `msg_${randomUUID().replaceAll('-', '')}`, url: 'https://hooks.example.com/t', payload: JSON.stringify(result) }
 * ```
 */
export interface NewOutboxItem {
  /**
   * The Standard Webhooks `webhook-id`, chosen by the caller (unique: a store refuses a
   * duplicate) and sent unchanged on every attempt, whichever instance makes it.
   */
  webhookId: string
  /** Where to POST. */
  url: string
  /**
   * The result as JSON (`TrackingResult.toJSON()`, pytracking's webhook payload). Delivery posts
   * the same data written as Python's `json.dumps` writes it, so the body's bytes differ.
   */
  payload: string
}

/**
 * Where a webhook delivery stands. `failed` means the retry budget ran out.
 *
 * @example
 * ```ts
 * const failed = await store.listOutbox({ status: 'failed' satisfies OutboxStatus })
 * ```
 */
export type OutboxStatus = 'pending' | 'delivering' | 'delivered' | 'failed'

/**
 * A webhook delivery from the outbox.
 *
 * @example
 * ```ts
 * for (const item of await store.claimOutbox({ lease, limit: 16, leaseMs: 60_000 })) console.log(item.webhookId, item.attempts)
 * ```
 */
export interface OutboxItem {
  /** The delivery's id, increasing in insertion order. */
  id: number
  /** The Standard Webhooks `webhook-id`: fixed when the row is written, the same on every retry and restart. */
  webhookId: string
  /** The id of the {@link TrackingEvent} it delivers. */
  eventId: number
  /** Where to POST. */
  url: string
  /**
   * The result as JSON (`TrackingResult.toJSON()`, pytracking's webhook payload). Delivery posts
   * the same data written as Python's `json.dumps` writes it, so the body's bytes differ.
   */
  payload: string
  /** Where the delivery stands. */
  status: OutboxStatus
  /** Delivery attempts made so far (each may have retried inside @pytrack/webhook). */
  attempts: number
  /** Not before this time (ms since the epoch) is the next attempt made. */
  nextAttemptAt: number
  /** Why the last attempt failed; null when none failed, and again once delivered. */
  lastError: string | null
  /** The HTTP status of the last attempt; null before any, or when the receiver did not answer. */
  lastStatus: number | null
  /** When the row was written: its event's time, in ms since the epoch. */
  createdAt: number
  /** When the row last changed (claimed, attempted, retried), in ms since the epoch. */
  updatedAt: number
  /** When it was delivered, in ms since the epoch; null until then. */
  deliveredAt: number | null
}

/**
 * What {@link EventStore.recordEvent} wrote.
 *
 * @example
 * ```ts
 * const { id, outbox }: RecordedEvent = await store.recordEvent(event, [item])
 * ```
 */
export interface RecordedEvent {
  /** The id of the stored event. */
  id: number
  /** The outbox rows written with the event, in the order given. */
  outbox: {
    /** The outbox row's id. */
    id: number
    /** Its Standard Webhooks `webhook-id`. */
    webhookId: string
  }[]
}

/**
 * One page of a listing, in id order. Pass the last item's id back as `after` to continue.
 *
 * @example
 * ```ts
 * let page = await store.listEvents()
 * while (page.hasMore) page = await store.listEvents({ after: page.items.at(-1)?.id })
 * ```
 */
export interface Page<T> {
  /** The items of this page, in id order; at most `limit`. */
  items: T[]
  /** True when more items were there already. */
  hasMore: boolean
}

/**
 * One event and its outbox rows, for {@link EventStore.recordEvents}.
 *
 * @example
 * ```ts
 * await store.recordEvents([{ event, outbox: [] }, { event: other, outbox: [item] }])
 * ```
 */
export interface RecordRequest {
  /** The event to write. */
  event: NewTrackingEvent
  /** The webhook deliveries to write with it; may be empty. */
  outbox: readonly NewOutboxItem[]
}

/**
 * The filters of {@link EventStore.listEvents}.
 *
 * @example
 * ```ts
 * const query: ListEventsQuery = { after: 1200, kind: 'open', limit: 500 }
 * ```
 */
export interface ListEventsQuery {
  /** The id of the last event already seen: the page holds later ones. 0 or absent: from the oldest. */
  after?: number | undefined
  /** Items a page, a whole number from 1 to 1000 (the caller checks it). Default 100. */
  limit?: number | undefined
  /** Only opens or only clicks. Default: both. */
  kind?: 'open' | 'click' | undefined
  /**
   * Only the events of one email or one recipient (a privacy access request). With a metadata
   * subject a store may read every event to find them: it is meant for rare requests.
   */
  subject?: EventSubject | undefined
}

/**
 * Whose events a privacy request (access or erasure) is about: the events of one email (its
 * `emailId`), or every event whose metadata holds `value` under the top-level `key` (a
 * recipient id such as `customer_id`; the same JSON equality as stats groups use).
 *
 * @example
 * ```ts
 * const subject: EventSubject = { key: 'customer_id', value: 123456 }
 * const page = await store.listEvents({ subject })
 * ```
 */
export type EventSubject =
  | {
      /** The email's id, as events show it (`emailId`). */
      emailId: string
    }
  | {
      /** A top-level metadata key, such as `customer_id` (the caller checks it). */
      key: string
      /** The value the events' metadata holds under `key`. */
      value: JsonValue
    }

/**
 * Which old events a retention pass takes: those that happened before `before`, oldest first,
 * at most `limit` of them, so one pass is short and the tracking routes never wait long.
 *
 * @example
 * ```ts
 * const pass: RetentionPass = { before: Date.now() - 90 * 86_400_000, limit: 500 }
 * ```
 */
export interface RetentionPass {
  /** Events (or deliveries) from before this time, in ms since the epoch. */
  before: number
  /** At most this many a pass, a whole number from 1 up. */
  limit: number
}

/**
 * A retention pass that anonymises: see {@link EventStore.anonymizeEvents}.
 *
 * @example
 * ```ts
 * await store.anonymizeEvents({ before: Date.now() - 30 * 86_400_000, limit: 500, dropKeys: ['email'] })
 * ```
 */
export interface AnonymizePass extends RetentionPass {
  /** Top-level metadata keys to remove as well (checked by the caller like a group key). */
  dropKeys: readonly string[]
}

/**
 * How many rows an erasure or a deleting retention pass removed.
 *
 * @example
 * ```ts
 * const { events, outbox }: ErasedCounts = await store.eraseEvents({ key: 'customer_id', value: 42 })
 * ```
 */
export interface ErasedCounts {
  /** Events removed. */
  events: number
  /** Webhook outbox rows removed with them. */
  outbox: number
}

/**
 * The filters of {@link EventStore.listOutbox}.
 *
 * @example
 * ```ts
 * const query: ListOutboxQuery = { status: 'failed', limit: 50 }
 * ```
 */
export interface ListOutboxQuery {
  /** The id of the last delivery already seen: the page holds later ones. 0 or absent: from the oldest. */
  after?: number | undefined
  /** Items a page, a whole number from 1 to 1000 (the caller checks it). Default 100. */
  limit?: number | undefined
  /** Only deliveries in this status. Default: all. */
  status?: OutboxStatus | undefined
}

/**
 * The counts of one group (or of everything). These definitions are the contract: every store
 * computes exactly them, whatever its query language (the contract suite checks each store
 * against a plain reading of the events). An event is human when `machine` is false.
 *
 * @example
 * ```ts
 * const { opens, uniqueOpens, machineOpens }: StatsCounts = (await store.stats()).total
 * ```
 */
export interface StatsCounts {
  /** Human (and unlabelled) opens, every one. */
  opens: number
  /** Emails with at least one human open or human click: a click counts as an open of its email. */
  uniqueOpens: number
  /** Human clicks, every one. */
  clicks: number
  /** Emails with at least one human click. */
  uniqueClicks: number
  /** Opens made by machines (mail proxies, privacy prefetch), counted apart and in no other figure. */
  machineOpens: number
  /** Clicks made by machines (link scanners), counted apart and in no other figure. */
  machineClicks: number
}

/**
 * The counts of one value of the grouping key.
 *
 * @example
 * ```ts
 * for (const group of (await store.stats({ groupBy: 'campaign' })).groups) console.log(group.value, group.uniqueClicks)
 * ```
 */
export interface StatsGroup extends StatsCounts {
  /**
   * The metadata value: events whose values are equal JSON share a group (numbers, strings and
   * booleans apart: `1`, `"1"` and `true` are three groups); a missing key and `null` are the
   * group `null`.
   */
  value: JsonValue
}

/**
 * What {@link EventStore.stats} answers.
 *
 * @example
 * ```ts
 * const stats: Stats = await store.stats({ groupBy: 'campaign' })
 * ```
 */
export interface Stats {
  /** The metadata key the groups are by; null when not grouped. */
  groupBy: string | null
  /**
   * The counts of each value of that key, most events (of any kind) first, at most 10,000
   * groups; empty when not grouped. The order of groups with as many events is not defined.
   */
  groups: StatsGroup[]
  /** The counts of all events, by their current labels (after the verdicts across hits). */
  total: StatsCounts
  /** Machine traffic in detail, of all events (not grouped). */
  verdicts: VerdictStats
}

/**
 * Machine traffic in detail: what the per-hit labels alone would count, the machine hits by
 * the reason of their current label, and the part of opened emails that is Apple's prefetch.
 *
 * @example
 * ```ts
 * const { perHit, machineClicksByReason } = (await store.stats()).verdicts
 * console.log(perHit.uniqueClicks, machineClicksByReason.burst ?? 0)
 * ```
 */
export interface VerdictStats {
  /** {@link Stats.total} computed from each event's per-hit label (the first of its `labels`), as if there were no verdicts across hits. */
  perHit: StatsCounts
  /** Machine opens by current label (`privacy-prefetch`, `scanner`, `delivery-scan`, `trap`...). */
  machineOpensByReason: Record<string, number>
  /** Machine clicks by current label (`scanner`, `burst`, `trap`, `too-soon`, `click-time-scan`...). */
  machineClicksByReason: Record<string, number>
  /** Apple Mail Privacy Protection's prefetches (label `privacy-prefetch`). */
  applePrefetch: ApplePrefetchStats
}

/**
 * How much of "opened" is Apple Mail Privacy Protection's prefetch.
 *
 * @example
 * ```ts
 * const { emailsWithoutPerson, openedEmails } = (await store.stats()).verdicts.applePrefetch
 * const share = openedEmails === 0 ? 0 : emailsWithoutPerson / openedEmails
 * ```
 */
export interface ApplePrefetchStats {
  /** Opens labelled `privacy-prefetch`. */
  opens: number
  /** Emails with at least one such open. */
  emails: number
  /** Emails whose only hits are such opens and other machine hits: "opened" by the prefetch alone. */
  emailsWithoutPerson: number
  /** Emails with any open or click at all, machines included: what a count with no labels would call opened. */
  openedEmails: number
}

/**
 * The filters of {@link EventStore.stats}.
 *
 * @example
 * ```ts
 * const query: StatsQuery = { groupBy: 'campaign' }
 * ```
 */
export interface StatsQuery {
  /**
   * A top-level metadata key to group by, such as `campaign`: 1 to 64 letters, digits or
   * `_-.:` (the caller checks it; dots and colons are part of the name, not a path).
   */
  groupBy?: string | undefined
}

/**
 * The buckets of {@link EventStore.timeseries}: UTC hours or UTC days.
 *
 * @example
 * ```ts
 * const interval: TimeseriesInterval = 'hour'
 * ```
 */
export type TimeseriesInterval = 'hour' | 'day'

/**
 * Which events a time query counts: a time range, and optionally one value of one metadata key.
 *
 * @example
 * ```ts
 * const range: TimeRange = { from: Date.parse('2026-11-01'), to: Date.now(), groupBy: 'campaign', value: 'fall-2026' }
 * ```
 */
export interface TimeRange {
  /** The first time counted, in ms since the epoch (rounded down to the hour). */
  from: number
  /** The end of the range, in ms since the epoch, not included (rounded up to the hour). */
  to: number
  /** A top-level metadata key, as {@link StatsQuery.groupBy} (the caller checks it). With `value`: only events whose value it is. */
  groupBy?: string | undefined
  /**
   * The value of `groupBy` to count, in its text form: a string as it is, a number in decimal
   * (`123456`), `true` or `false`, an object or array as its JSON (so `1` and `"1"` are one value here). Only with `groupBy`.
   */
  value?: string | undefined
}

/**
 * What {@link EventStore.timeseries} takes.
 *
 * @example
 * ```ts
 * const query: TimeseriesQuery = { from: Date.now() - 86_400_000, to: Date.now(), interval: 'hour' }
 * ```
 */
export interface TimeseriesQuery extends TimeRange {
  /** The width of a bucket. From and to are rounded out to it; at most 10,000 buckets (the caller checks). */
  interval: TimeseriesInterval
}

/**
 * The counts of one bucket of a {@link Timeseries}: {@link StatsCounts}, where the unique
 * figures count each email once, in the bucket of its first human open (or click) recorded,
 * so that the buckets of a range add up to the emails first opened (or clicked) in it.
 *
 * @example
 * ```ts
 * for (const bucket of series.buckets) console.log(new Date(bucket.time).toISOString(), bucket.opens, bucket.machineOpens)
 * ```
 */
export interface TimeseriesBucket extends StatsCounts {
  /** When the bucket starts, in ms since the epoch (a UTC hour or day). */
  time: number
}

/**
 * What {@link EventStore.timeseries} answers.
 *
 * @example
 * ```ts
 * const { buckets, total }: Timeseries = await store.timeseries({ from, to, interval: 'day' })
 * ```
 */
export interface Timeseries {
  /** The start of the first bucket: `from` rounded down to the interval. */
  from: number
  /** The end of the last bucket (not included): `to` rounded up to the interval. */
  to: number
  /** The width of a bucket. */
  interval: TimeseriesInterval
  /** Every bucket from `from` to `to`, oldest first, empty ones included. */
  buckets: TimeseriesBucket[]
  /**
   * The sums of the buckets. Every figure counts the events of the range; the unique ones,
   * the emails whose first human open (or click) ever recorded falls in the range (for a range
   * that holds everything, exactly {@link Stats.total}'s).
   */
  total: StatsCounts
}

/**
 * What {@link EventStore.topDestinations} takes.
 *
 * @example
 * ```ts
 * const query: TopDestinationsQuery = { from: 0, to: Date.now(), groupBy: 'campaign', value: 'fall-2026', limit: 10 }
 * ```
 */
export interface TopDestinationsQuery extends TimeRange {
  /** How many destinations at most, a whole number from 1 to 100 (the caller checks it). Default 10. */
  limit?: number | undefined
}

/**
 * The clicks of one destination, in {@link EventStore.topDestinations}.
 *
 * @example
 * ```ts
 * const [top]: DestinationCounts[] = await store.topDestinations({ from: 0, to: Date.now() })
 * ```
 */
export interface DestinationCounts {
  /** Where the clicks redirected. */
  destination: string
  /** Human clicks in the range. */
  clicks: number
  /** Emails whose first human click on this destination falls in the range. */
  uniqueClicks: number
  /** Clicks made by machines (link scanners) in the range, counted apart. */
  machineClicks: number
}

/**
 * What {@link EventStore.topValues} takes.
 *
 * @example
 * ```ts
 * const query: TopValuesQuery = { groupBy: 'campaign', from: 0, to: Date.now(), limit: 50 }
 * ```
 */
export interface TopValuesQuery {
  /** The top-level metadata key whose values to count (the caller checks it). */
  groupBy: string
  /** The first time counted, in ms since the epoch (rounded down to the hour). */
  from: number
  /** The end of the range, not included (rounded up to the hour). */
  to: number
  /** How many values at most, a whole number from 1 to 1000 (the caller checks it). Default 100. */
  limit?: number | undefined
}

/**
 * The counts of one value in {@link EventStore.topValues}: the figures of a {@link Timeseries}
 * total for that value over the range.
 *
 * @example
 * ```ts
 * for (const { value, opens } of await store.topValues({ groupBy: 'campaign', from: 0, to: Date.now() })) console.log(value, opens)
 * ```
 */
export interface ValueCounts extends StatsCounts {
  /** The value in its text form (see {@link TimeRange.value}). */
  value: string
}

/**
 * How a failed delivery attempt ends: retry at a time, or give up (`failed`).
 *
 * @example
 * ```ts
 * await store.failOutbox(item.id, lease, { error: 'HTTP 503', status: 503, retryAt: Date.now() + 10_000 })
 * ```
 */
export interface OutboxFailure {
  /** Why the attempt failed; kept as `lastError`. */
  error: string
  /** The HTTP status the receiver answered with; null when it never answered. Kept as `lastStatus`. */
  status: number | null
  /** When to try again (ms since the epoch); null when the retry budget is spent. */
  retryAt: number | null
}

/**
 * What {@link EventStore.claimOutbox} takes.
 *
 * @example
 * ```ts
 * const claim: OutboxClaim = { lease: randomUUID(), limit: 16, leaseMs: 90_000 }
 * ```
 */
export interface OutboxClaim {
  /**
   * Who holds the rows: a value unique to this dispatcher (a UUID). Only the holder of a row's
   * current lease can complete, fail or release it.
   */
  lease: string
  /** Rows to take at most, a whole number from 1 up. */
  limit: number
  /** How long the rows are held (ms): after that, if the holder has not finished, another dispatcher may take them. */
  leaseMs: number
  /** The time to claim at, in ms since the epoch. Default: `Date.now()`. */
  now?: number | undefined
}

/**
 * Where the server keeps events and its webhook outbox: SQLite (`openSqliteEventStore`) or
 * PostgreSQL (`@pytrack/store-postgres`). This interface and its TSDoc are the whole contract a
 * store keeps, for one process or for several server instances on one database; the
 * contract suite (`describeEventStore` in the repository's `test-utils/`) checks every store
 * against it.
 *
 * - **Callers pass every id and checked value.** Webhook ids come with the outbox rows; limits,
 *   `after` ids, kinds, statuses and group keys are checked by the caller (the server's API
 *   does). A store never mints ids other than its row ids, and never resets state on open.
 * - **Committed before answered.** When `recordEvent(s)` returns (or its promise resolves),
 *   the events and their outbox rows are committed in one transaction, visible to every other
 *   store on the same database, and survive a crash of the process. The server answers a
 *   pixel or redirect only after that. A batch is written all or none.
 * - **Ids in commit order.** Row ids increase, and an id is visible only once every smaller id
 *   committed before it is: a reader paging with `after` never misses an event that another
 *   instance commits later.
 * - **Leases.** A claimed row is held by one lease until it is completed, failed, released, or
 *   the lease expires (after a crash); while held, no other claim takes it, and only its
 *   holder's `completeOutbox`, `failOutbox` or `releaseOutbox` changes it.
 *
 * @example
 * ```ts
 * const store: EventStore = openSqliteEventStore({ file: './data/pytrack.db' })
 * const { id } = await store.recordEvent(event, [{ webhookId: 'msg_1', url: 'https://hooks.example.com/t', payload }])
 * const page = await store.listEvents({ limit: 50 })
 * await store.close()
 * ```
 */
export interface EventStore {
  /** Writes an event and its outbox rows in one durable transaction. */
  recordEvent(event: NewTrackingEvent, outbox: readonly NewOutboxItem[]): Awaitable<RecordedEvent>
  /**
   * Writes several events, each with its outbox rows, in one durable transaction (group
   * commit: the server batches the hits that arrive together). All or none are written.
   */
  recordEvents(batch: readonly RecordRequest[]): Awaitable<RecordedEvent[]>
  /** Events in id order, after `after`, optionally of one kind. */
  listEvents(query?: ListEventsQuery): Awaitable<Page<TrackingEvent>>
  /**
   * Makes stored events machine traffic with a new current label (their first label and every
   * earlier one kept in `labels`) and writes the outbox rows telling receivers, in one durable
   * transaction; every figure (stats, time series, top lists) counts them as machine traffic
   * from then on. Resolves with the ids changed, in the order given.
   */
  reclassifyEvents(request: ReclassifyRequest): Awaitable<number[]>
  /** Total and unique counts, grouped by a metadata key when asked. */
  stats(query?: StatsQuery): Awaitable<Stats>
  /** Counts over time, in buckets of an hour or a day, of all events or of one metadata value. */
  timeseries(query: TimeseriesQuery): Awaitable<Timeseries>
  /**
   * The values of a metadata key seen in the range, most events (of any kind) first, then by
   * value; at most `limit`. Null values and events without the key are left out.
   */
  topValues(query: TopValuesQuery): Awaitable<ValueCounts[]>
  /** The destinations with the most human clicks in the range, most first (then by destination); at most `limit`. */
  topDestinations(query: TopDestinationsQuery): Awaitable<DestinationCounts[]>
  /**
   * Takes up to `limit` deliveries that are due (pending and due, or `delivering` with an
   * expired lease), oldest due first, and leases them to `lease` for `leaseMs`: status
   * `delivering`, and no other claim takes them meanwhile. Answers them in id order.
   */
  claimOutbox(claim: OutboxClaim): Awaitable<OutboxItem[]>
  /** Marks a delivery delivered (one more attempt). False, and nothing changed, when `lease` no longer holds it. */
  completeOutbox(id: number, lease: string, status: number | null): Awaitable<boolean>
  /**
   * Records a failed attempt: back to `pending` at `retryAt`, or `failed` when `retryAt` is
   * null. False, and nothing changed, when `lease` no longer holds it.
   */
  failOutbox(id: number, lease: string, failure: OutboxFailure): Awaitable<boolean>
  /**
   * Gives a held delivery back unattempted (a dispatcher shutting down): `pending`, due now,
   * attempts unchanged. False when `lease` no longer holds it.
   */
  releaseOutbox(id: number, lease: string): Awaitable<boolean>
  /** Puts a `failed` delivery back in the queue with a fresh budget; false when there is no such failed row. */
  retryOutbox(id: number): Awaitable<boolean>
  /** Deliveries in id order, after `after`, optionally of one status. */
  listOutbox(query?: ListOutboxQuery): Awaitable<Page<OutboxItem>>
  /** When the next delivery is due (a pending row's time, or a held row's lease end; ms since the epoch), or null when none is pending or held. */
  nextOutboxDue(): Awaitable<number | null>
  /**
   * Erases every event of `subject` and all their outbox rows (delivered or not), in one
   * transaction (a privacy erasure request).
   */
  eraseEvents(subject: EventSubject): Awaitable<ErasedCounts>
  /**
   * Anonymises up to `limit` events from before `before` that are not anonymised yet, oldest
   * first: `clientIp` and `userAgent` become null; `requestData` loses `user_ip`, `user_agent`
   * and `referer`; `metadata` loses the `dropKeys`; their outbox rows' payloads lose the same.
   * Kind, time, email id, destination and labels stay, so stats are unchanged (unless grouped
   * by a dropped key). Answers how many events it changed: 0 when none is left to do.
   */
  anonymizeEvents(pass: AnonymizePass): Awaitable<number>
  /** Deletes up to `limit` events from before `before`, oldest first, with their outbox rows. */
  deleteEvents(pass: RetentionPass): Awaitable<ErasedCounts>
  /** Deletes up to `limit` delivered outbox rows delivered before `before`; answers how many. */
  pruneOutbox(pass: RetentionPass): Awaitable<number>
  /** Throws when the store cannot answer (for `/healthz`). */
  check(): Awaitable<void>
  /** Flushes and closes. Further calls throw a `StoreError`; a second `close` does nothing. */
  close(): Awaitable<void>
}
