/**
 * Tools for writing an {@link EventStore} (`@pytrack/server/store-kit`): the conversions every
 * store repeats between its rows and the contract's objects, so two stores cannot drift apart
 * on them. The SQLite store and `@pytrack/store-postgres` are both built on these. A store is
 * proven by the contract suite, not by these: they only save writing the same mapping twice.
 *
 * @example
 * ```ts
 * import { pageOf, statsCountsOf } from '@pytrack/server/store-kit'
 *
 * // Read one row more than asked for: whether it came says if there are more.
 * const rows = [{ id: 1 }, { id: 2 }, { id: 3 }]
 * const page = pageOf(rows, 2) // { items: [{ id: 1 }, { id: 2 }], hasMore: true }
 * const none = statsCountsOf(undefined) // every count 0
 * ```
 *
 * @packageDocumentation
 */
import type { JsonValue, RequestData } from '@pytrack/core'
import type {
  EventStore,
  LabelChange,
  OutboxItem,
  OutboxStatus,
  Page,
  StatsCounts,
  TimeRange,
  Timeseries,
  TimeseriesBucket,
  TimeseriesQuery,
  TrackingEvent,
} from './store/event-store'

/**
 * An outbox row as both stores keep it: the columns of {@link OutboxItem}, in snake_case.
 */
export interface OutboxRow {
  /** See {@link OutboxItem.id}. */
  id: number
  /** See {@link OutboxItem.webhookId}. */
  webhook_id: string
  /** See {@link OutboxItem.eventId}. */
  event_id: number
  /** See {@link OutboxItem.url}. */
  url: string
  /** See {@link OutboxItem.payload}. */
  payload: string
  /** See {@link OutboxItem.status}. */
  status: OutboxStatus
  /** See {@link OutboxItem.attempts}. */
  attempts: number
  /** See {@link OutboxItem.nextAttemptAt}. */
  next_attempt_at: number
  /** See {@link OutboxItem.lastError}. */
  last_error: string | null
  /** See {@link OutboxItem.lastStatus}. */
  last_status: number | null
  /** See {@link OutboxItem.createdAt}. */
  created_at: number
  /** See {@link OutboxItem.updatedAt}. */
  updated_at: number
  /** See {@link OutboxItem.deliveredAt}. */
  delivered_at: number | null
}

/**
 * The six figures of {@link StatsCounts} as SQL names them. A missing or null figure (an
 * aggregate over no rows) counts 0.
 */
export type StatsCountsRow = Partial<Record<'opens' | 'unique_opens' | 'clicks' | 'unique_clicks' | 'machine_opens' | 'machine_clicks', number | null>>

/**
 * An event row as a store reads it, its values decoded (JSON as values, flags as booleans): the
 * fields of {@link TrackingEvent} in snake_case. `first_label`, `first_machine` and `labels` are
 * null on rows that never changed label (then the current label is the first and only one).
 */
export interface EventRow {
  /** See {@link TrackingEvent.id}. */
  id: number
  /** See {@link TrackingEvent.kind}. */
  kind: 'open' | 'click'
  /** See {@link TrackingEvent.time}. */
  time: number
  /** See {@link TrackingEvent.emailId}. */
  email_id: string
  /** See {@link TrackingEvent.metadata}. */
  metadata: Record<string, JsonValue>
  /** See {@link TrackingEvent.destination}. */
  destination: string | null
  /** See {@link TrackingEvent.clientIp}. */
  client_ip: string | null
  /** See {@link TrackingEvent.userAgent}. */
  user_agent: string | null
  /** See {@link TrackingEvent.machine}. */
  machine: boolean
  /** See {@link TrackingEvent.label}. */
  label: string
  /** See {@link TrackingEvent.labelReason}. */
  label_reason: string | null
  /** See {@link TrackingEvent.requestData}. */
  request_data: RequestData | null
  /** See {@link TrackingEvent.firstLabel}; null: the current label. */
  first_label: string | null
  /** See {@link TrackingEvent.firstMachine}; null: the current verdict. */
  first_machine: boolean | null
  /** See {@link TrackingEvent.labels}; null: the current label alone. */
  labels: LabelChange[] | null
}

/** The {@link TrackingEvent} of an event row, its first label and label history filled in for rows that never changed label. */
export function trackingEventOf(row: EventRow): TrackingEvent {
  return {
    id: row.id,
    kind: row.kind,
    time: row.time,
    emailId: row.email_id,
    metadata: row.metadata,
    destination: row.destination,
    clientIp: row.client_ip,
    userAgent: row.user_agent,
    machine: row.machine,
    label: row.label,
    labelReason: row.label_reason,
    requestData: row.request_data,
    firstLabel: row.first_label ?? row.label,
    firstMachine: row.first_machine ?? row.machine,
    labels: row.labels ?? [{ time: row.time, label: row.label, machine: row.machine, reason: row.label_reason }],
  }
}

/** The {@link OutboxItem} of an outbox row. */
export function outboxItemOf(row: OutboxRow): OutboxItem {
  return {
    id: row.id,
    webhookId: row.webhook_id,
    eventId: row.event_id,
    url: row.url,
    payload: row.payload,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
    lastStatus: row.last_status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deliveredAt: row.delivered_at,
  }
}

/** The {@link StatsCounts} of a row of counts; `undefined` (no row) gives every count 0. */
export function statsCountsOf(row: StatsCountsRow | undefined): StatsCounts {
  return {
    opens: row?.opens ?? 0,
    uniqueOpens: row?.unique_opens ?? 0,
    clicks: row?.clicks ?? 0,
    uniqueClicks: row?.unique_clicks ?? 0,
    machineOpens: row?.machine_opens ?? 0,
    machineClicks: row?.machine_clicks ?? 0,
  }
}

/**
 * A {@link Page} from the rows of a query that asked for `limit + 1`: the first `limit` rows,
 * and `hasMore` when the extra one came.
 */
export function pageOf<T>(rows: readonly T[], limit: number): Page<T> {
  const hasMore = rows.length > limit
  return { items: hasMore ? rows.slice(0, limit) : [...rows], hasMore }
}

/** One hour in milliseconds: the grain of every kept time count. */
export const HOUR_MS = 3_600_000

/** The milliseconds of each {@link TimeseriesQuery.interval}. */
export const INTERVAL_MS: Readonly<Record<TimeseriesQuery['interval'], number>> = { hour: HOUR_MS, day: 24 * HOUR_MS }

/** A time range widened to whole steps: `from` down to a step's start, `to` up to one (never before `from`). */
export interface StepRange {
  /** The first step's start (epoch ms). */
  from: number
  /** The end of the last step (epoch ms, exclusive). */
  to: number
  /** The step (ms). */
  step: number
}

/**
 * The whole hours (or, with `step`, the whole steps) around a {@link TimeRange}: what a store
 * reads for `timeseries`, `topDestinations` and `topValues`, whose figures are whole hours.
 */
export function stepRange(range: Pick<TimeRange, 'from' | 'to'>, step: number = HOUR_MS): StepRange {
  const from = Math.floor(range.from / step) * step
  return { from, to: Math.max(from, Math.ceil(range.to / step) * step), step }
}

/**
 * The {@link Timeseries} answer for a query, from the counts a store found per step (keyed by
 * the step's start time, as {@link stepRange} lays them out): every step of the range in order,
 * those with nothing found at 0, and their total.
 */
export function timeseriesOf(query: TimeseriesQuery, found: ReadonlyMap<number, StatsCounts>): Timeseries {
  const { from, to, step } = stepRange(query, INTERVAL_MS[query.interval])
  const buckets: TimeseriesBucket[] = []
  const total = statsCountsOf(undefined)
  for (let time = from; time < to; time += step) {
    const bucket = found.get(time) ?? statsCountsOf(undefined)
    for (const name of Object.keys(total) as (keyof StatsCounts)[]) total[name] += bucket[name]
    buckets.push({ time, ...bucket })
  }
  return { from, to, interval: query.interval, buckets, total }
}
