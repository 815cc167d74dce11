import autocannon from 'autocannon'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getClickTrackingUrl, getOpenTrackingUrl } from '@pytrack/core'
import { BROWSER, startTestServer, type TestServer } from '../test/helpers'
import type { TrackingEvent } from './store/event-store'

// Short here to keep CI quick; `pnpm bench` runs the long one.
const DURATION_SECONDS = 3

let t: TestServer
beforeAll(async () => {
  t = await startTestServer()
})
afterAll(async () => {
  await t.stop()
})

async function allEvents(): Promise<TrackingEvent[]> {
  const events: TrackingEvent[] = []
  let after = 0
  for (;;) {
    const page = await t.server.store.listEvents({ after, limit: 1000 })
    events.push(...page.items)
    after = page.items.at(-1)?.id ?? after
    if (!page.hasMore) return events
  }
}

describe('under load (autocannon, 64 connections)', () => {
  it('answers every request and stores exactly one event per answered pixel or redirect', async () => {
    const configuration = t.server.configuration
    const answered = new Set<string>()
    const sent = new Set<string>()
    let next = 0
    // Every request carries its own link, so each answer can be matched to its stored event.
    const result = await autocannon({
      url: t.server.url,
      connections: 64,
      duration: DURATION_SECONDS,
      headers: BROWSER,
      requests: [
        {
          setupRequest: (request, context) => {
            const id = `load-${next++}`
            const link =
              next % 2 === 0
                ? getOpenTrackingUrl({ message_id: id }, { configuration })
                : getClickTrackingUrl('https://www.example.com/', { message_id: id }, { configuration })
            ;(context as { id?: string }).id = id
            sent.add(id)
            return { ...request, method: 'GET', path: new URL(link).pathname }
          },
          onResponse: (status, _body, context) => {
            if (status === 200 || status === 302) answered.add((context as { id?: string }).id as string)
          },
        },
      ],
    })
    expect(result.errors).toBe(0)
    expect(result.timeouts).toBe(0)
    expect(result['4xx'] + result['5xx']).toBe(0)
    expect(result['2xx'] + result['3xx']).toBe(answered.size)
    expect(answered.size).toBeGreaterThan(100)

    const events = await allEvents()
    const stored = new Map<string, number>()
    for (const event of events) {
      const id = event.metadata.message_id as string
      stored.set(id, (stored.get(id) ?? 0) + 1)
    }
    const missing = [...answered].filter((id) => stored.get(id) !== 1)
    expect(missing).toEqual([])
    // The rest are requests cut off when the run ended: stored at most once, never invented.
    for (const [id, count] of stored) {
      expect(sent.has(id)).toBe(true)
      expect(count).toBe(1)
    }
    expect(events.length - answered.size).toBeLessThanOrEqual(64)
  })
})
