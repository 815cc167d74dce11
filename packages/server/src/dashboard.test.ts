import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BROWSER, startTestServer, type TestServer } from '../test/helpers'

let t: TestServer
let open: TestServer

beforeAll(async () => {
  ;[t, open] = await Promise.all([startTestServer(), startTestServer({ apiToken: null })])
})
afterAll(async () => {
  await Promise.all([t.stop(), open.stop()])
})

describe('the dashboard routes', () => {
  it('redirects / and /dashboard to /dashboard/, which serves the built page with a strict Content-Security-Policy', async () => {
    for (const path of ['/', '/dashboard']) {
      const answer = await fetch(t.server.url + path, { redirect: 'manual' })
      expect([301, 302], path).toContain(answer.status)
      expect(answer.headers.get('location')).toBe('/dashboard/')
    }
    const page = await fetch(`${t.server.url}/dashboard/`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    const csp = page.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toContain('unsafe-inline')
    expect(csp).not.toContain('unsafe-eval')
    expect(page.headers.get('referrer-policy')).toBe('no-referrer')
    const html = await page.text()
    expect(html).toContain('<meta name="pytrack-api" content="token">')
    // Only the page's own files: nothing from another origin.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//)
  })

  it('tells the page whether the API wants a token, and serves the script and stylesheet compressed', async () => {
    expect(await (await fetch(`${open.server.url}/dashboard/`)).text()).toContain('<meta name="pytrack-api" content="open">')
    for (const [name, type] of [['app.js', 'text/javascript'], ['app.css', 'text/css']] as const) {
      const answer = await fetch(`${t.server.url}/dashboard/${name}`, { headers: { 'accept-encoding': 'gzip' } })
      expect(answer.status).toBe(200)
      expect(answer.headers.get('content-type')).toContain(type)
      expect(answer.headers.get('content-encoding')).toBe('gzip')
      expect((await answer.text()).length).toBeGreaterThan(1000)
      const again = await fetch(`${t.server.url}/dashboard/${name}`, { headers: { 'if-none-match': answer.headers.get('etag') ?? '' } })
      expect(again.status).toBe(304)
    }
    expect((await fetch(`${t.server.url}/dashboard/nothing.js`)).status).toBe(404)
    expect((await fetch(`${t.server.url}/dashboard/`, { method: 'POST' })).status).toBe(405)
  })
})

describe('the newest events, for the live list', () => {
  it('answers the newest events oldest first and a cursor that brings only later ones', async () => {
    expect(await (await t.api('/api/v1/events?latest=5')).json()).toMatchObject({ events: [], hasMore: false })
    const made = (await (await t.api('/api/v1/links/open', { method: 'POST', json: { metadata: { message_id: 'live-1' } } })).json()) as { url: string }
    for (let i = 0; i < 7; i++) await fetch(t.local(made.url), { headers: BROWSER })
    const page = (await (await t.api('/api/v1/events?latest=5')).json()) as { events: { id: number }[]; nextCursor: string }
    expect(page.events).toHaveLength(5)
    const ids = page.events.map((event) => event.id)
    expect(ids).toEqual([...ids].sort((a, b) => a - b))
    const all = (await (await t.api('/api/v1/events?limit=100')).json()) as { events: { id: number }[] }
    expect(ids).toEqual(all.events.slice(-5).map((event) => event.id))
    await fetch(t.local(made.url), { headers: BROWSER })
    const next = (await (await t.api(`/api/v1/events?cursor=${encodeURIComponent(page.nextCursor)}`)).json()) as { events: { id: number }[] }
    expect(next.events).toHaveLength(1)
    expect((await t.api('/api/v1/events?latest=5&kind=open')).status).toBe(400)
  })
})
