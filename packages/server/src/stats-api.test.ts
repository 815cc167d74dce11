import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BROWSER, startTestServer, type TestServer } from '../test/helpers'

let t: TestServer

beforeAll(async () => {
  t = await startTestServer()
})
afterAll(async () => {
  await t.stop()
})

async function link(kind: 'open' | 'click', body: unknown): Promise<string> {
  const response = await t.api(`/api/v1/links/${kind}`, { method: 'POST', json: body })
  return t.local(((await response.json()) as { url: string }).url)
}

async function json(path: string): Promise<Record<string, unknown>> {
  const response = await t.api(path)
  expect(response.status, path).toBe(200)
  return (await response.json()) as Record<string, unknown>
}

describe('counts over time and top destinations, through the API', () => {
  it('counts hits in the current hour, people and machines apart, for everything and for one campaign', async () => {
    const fall = { message_id: 'ts-1', campaign: 'fall' }
    const spring = { message_id: 'ts-2', campaign: 'spring' }
    await fetch(await link('open', { metadata: fall }), { headers: BROWSER })
    await fetch(await link('open', { metadata: fall }), { headers: BROWSER })
    await fetch(await link('open', { metadata: fall }), { method: 'HEAD' }) // a machine
    await fetch(await link('click', { url: 'https://example.com/sale', metadata: fall }), { headers: BROWSER, redirect: 'manual' })
    await fetch(await link('click', { url: 'https://example.com/hats', metadata: spring }), { headers: BROWSER, redirect: 'manual' })
    await fetch(await link('click', { url: 'https://example.com/hats', metadata: spring }), { headers: BROWSER, redirect: 'manual' })

    const all = await json('/api/v1/stats/timeseries')
    expect(all).toMatchObject({ groupBy: null, value: null, interval: 'hour' })
    expect(all.buckets).toHaveLength(7 * 24 + 1)
    expect(all.total).toEqual({ opens: 2, uniqueOpens: 2, clicks: 3, uniqueClicks: 2, machineOpens: 1, machineClicks: 0 })
    expect((all.buckets as { opens: number }[]).at(-1)).toMatchObject({ opens: 2, clicks: 3, machineOpens: 1 })

    const campaign = await json('/api/v1/stats/timeseries?groupBy=campaign&value=fall&interval=day')
    expect(campaign).toMatchObject({ groupBy: 'campaign', value: 'fall', interval: 'day' })
    expect(campaign.total).toEqual({ opens: 2, uniqueOpens: 1, clicks: 1, uniqueClicks: 1, machineOpens: 1, machineClicks: 0 })
    const from = new Date(Date.now() - 3_600_000).toISOString()
    const recent = await json(`/api/v1/stats/timeseries?from=${from}&to=${Date.now()}`)
    expect(recent.buckets).toHaveLength(2)
    expect(recent.total).toEqual(all.total)

    const top = await json('/api/v1/stats/destinations')
    expect(top.destinations).toEqual([
      { destination: 'https://example.com/hats', clicks: 2, uniqueClicks: 1, machineClicks: 0 },
      { destination: 'https://example.com/sale', clicks: 1, uniqueClicks: 1, machineClicks: 0 },
    ])
    expect((await json('/api/v1/stats/destinations?groupBy=campaign&value=fall&limit=5')).destinations).toEqual([
      { destination: 'https://example.com/sale', clicks: 1, uniqueClicks: 1, machineClicks: 0 },
    ])
    expect((await json('/api/v1/stats/destinations?limit=1')).destinations).toHaveLength(1)
    expect((await json('/api/v1/stats/values?groupBy=campaign')).values).toEqual([
      { value: 'fall', opens: 2, uniqueOpens: 1, clicks: 1, uniqueClicks: 1, machineOpens: 1, machineClicks: 0 },
      { value: 'spring', opens: 0, uniqueOpens: 1, clicks: 2, uniqueClicks: 1, machineOpens: 0, machineClicks: 0 },
    ])
  })

  it('refuses ranges and parameters it cannot answer, saying why', async () => {
    const cases: [string, RegExp][] = [
      ['/api/v1/stats/timeseries?from=0', /over the limit of 10000/],
      ['/api/v1/stats/timeseries?from=2026-12-02&to=2026-12-01', /from must be before to/],
      ['/api/v1/stats/timeseries?from=yesterday', /^from is not in a form it takes \(The start of the range: ms since the epoch or an ISO 8601 time/],
      ['/api/v1/stats/timeseries?from=2026-13-45', /from is not a time/],
      ['/api/v1/stats/timeseries?groupBy=campaign', /groupBy and value go together/],
      ['/api/v1/stats/timeseries?interval=minute', /interval must be one of "hour", "day"/],
      ['/api/v1/stats/destinations?limit=101', /limit must be <= 100/],
      ['/api/v1/stats/destinations?groupBy=a%20b&value=x', /^groupBy is not in a form it takes/],
      ['/api/v1/stats/values', /^groupBy is required/],
    ]
    for (const [path, message] of cases) {
      const response = await t.api(path)
      const body = (await response.json()) as { error: { code: string; message: string } }
      expect([path, response.status, body.error.code]).toEqual([path, 400, 'invalid_request'])
      expect(body.error.message).toMatch(message)
    }
    expect((await t.api('/api/v1/stats/timeseries?from=2000-01-01&interval=day')).status).toBe(200)
  })
})
