import { describe, expect, it } from 'vitest'
import type { StatsCounts } from './index'
import { HOUR_MS, INTERVAL_MS, outboxItemOf, pageOf, statsCountsOf, stepRange, timeseriesOf, trackingEventOf, type EventRow } from './store-kit'

const counts = (opens: number): StatsCounts => ({ opens, uniqueOpens: 1, clicks: 2, uniqueClicks: 1, machineOpens: 3, machineClicks: 0 })

describe('store kit', () => {
  it('pages rows read with limit + 1', () => {
    expect(pageOf([1, 2, 3], 2)).toEqual({ items: [1, 2], hasMore: true })
    expect(pageOf([1, 2], 2)).toEqual({ items: [1, 2], hasMore: false })
    expect(pageOf([], 5)).toEqual({ items: [], hasMore: false })
    const rows = [1]
    expect(pageOf(rows, 5).items).not.toBe(rows)
  })

  it('reads counts, a missing row or a null aggregate as 0', () => {
    expect(statsCountsOf(undefined)).toEqual({ opens: 0, uniqueOpens: 0, clicks: 0, uniqueClicks: 0, machineOpens: 0, machineClicks: 0 })
    expect(statsCountsOf({ opens: null, unique_opens: 2, clicks: 3, unique_clicks: 1, machine_opens: 4, machine_clicks: null })).toEqual({
      opens: 0,
      uniqueOpens: 2,
      clicks: 3,
      uniqueClicks: 1,
      machineOpens: 4,
      machineClicks: 0,
    })
  })

  it('maps every outbox column', () => {
    const item = outboxItemOf({
      id: 7,
      webhook_id: 'msg_1',
      event_id: 3,
      url: 'https://example.com/hook',
      payload: '{}',
      status: 'failed',
      attempts: 2,
      next_attempt_at: 10,
      last_error: 'HTTP 500',
      last_status: 500,
      created_at: 1,
      updated_at: 2,
      delivered_at: null,
    })
    expect(item).toEqual({
      id: 7,
      webhookId: 'msg_1',
      eventId: 3,
      url: 'https://example.com/hook',
      payload: '{}',
      status: 'failed',
      attempts: 2,
      nextAttemptAt: 10,
      lastError: 'HTTP 500',
      lastStatus: 500,
      createdAt: 1,
      updatedAt: 2,
      deliveredAt: null,
    })
  })

  it('widens a range to whole steps, before the epoch too, never ending before it starts', () => {
    expect(stepRange({ from: HOUR_MS + 1, to: 2 * HOUR_MS + 1 })).toEqual({ from: HOUR_MS, to: 3 * HOUR_MS, step: HOUR_MS })
    expect(stepRange({ from: 2 * HOUR_MS, to: 2 * HOUR_MS })).toEqual({ from: 2 * HOUR_MS, to: 2 * HOUR_MS, step: HOUR_MS })
    expect(stepRange({ from: -1, to: 1 })).toEqual({ from: -HOUR_MS, to: HOUR_MS, step: HOUR_MS })
    expect(stepRange({ from: 5 * HOUR_MS, to: HOUR_MS })).toEqual({ from: 5 * HOUR_MS, to: 5 * HOUR_MS, step: HOUR_MS })
    expect(stepRange({ from: INTERVAL_MS.day + 1, to: INTERVAL_MS.day + 2 }, INTERVAL_MS.day)).toEqual({
      from: INTERVAL_MS.day,
      to: 2 * INTERVAL_MS.day,
      step: INTERVAL_MS.day,
    })
  })

  it('answers a time series with every step, the found ones in place and the total of all', () => {
    const day = INTERVAL_MS.day
    const series = timeseriesOf({ from: 0, to: 3 * day - 1, interval: 'day' }, new Map([[day, counts(5)], [7 * day, counts(100)]]))
    expect(series.from).toBe(0)
    expect(series.to).toBe(3 * day)
    expect(series.interval).toBe('day')
    expect(series.buckets.map((bucket) => [bucket.time, bucket.opens])).toEqual([
      [0, 0],
      [day, 5],
      [2 * day, 0],
    ])
    // The count found outside the range is not in it.
    expect(series.total).toEqual(counts(5))
    expect(timeseriesOf({ from: HOUR_MS, to: HOUR_MS, interval: 'hour' }, new Map()).buckets).toEqual([])
    expect(timeseriesOf({ from: 10, to: 10, interval: 'hour' }, new Map()).buckets.map((bucket) => bucket.time)).toEqual([0])
  })

  it('fills in the first label and the history of an event that never changed label, and keeps those of one that did', () => {
    const row: EventRow = {
      id: 1,
      kind: 'open',
      time: 100,
      email_id: 'e1',
      metadata: { campaign: 'c' },
      destination: null,
      client_ip: null,
      user_agent: 'Mozilla/5.0',
      machine: false,
      label: 'person',
      label_reason: null,
      request_data: null,
      first_label: null,
      first_machine: null,
      labels: null,
    }
    expect(trackingEventOf(row)).toMatchObject({
      emailId: 'e1',
      metadata: { campaign: 'c' },
      userAgent: 'Mozilla/5.0',
      firstLabel: 'person',
      firstMachine: false,
      labels: [{ time: 100, label: 'person', machine: false, reason: null }],
    })
    const changed = { time: 200, label: 'scanner', machine: true, reason: 'too fast' }
    const relabelled = trackingEventOf({
      ...row,
      machine: true,
      label: 'scanner',
      label_reason: 'too fast',
      first_label: 'person',
      first_machine: false,
      labels: [{ time: 100, label: 'person', machine: false, reason: null }, changed],
    })
    expect(relabelled).toMatchObject({ machine: true, label: 'scanner', firstLabel: 'person', firstMachine: false })
    expect(relabelled.labels).toEqual([{ time: 100, label: 'person', machine: false, reason: null }, changed])
  })
})
