import { statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getOpenTrackingUrl, getClickTrackingUrl, isPytrackError } from '@pytrack/core'
import { Fernet, fernetCodec } from '@pytrack/crypto'
import { BROWSER, TOKEN, startTestServer, tempDir, wrapStore, type TestServer } from '../test/helpers'
import { createWatch, deferred } from '../../../test-utils/wait'
import { loadSettings } from './settings'
import { startServer } from './server'
import { StoreError } from './errors/store-error'
import { openSqliteEventStore } from './store/sqlite-event-store'
import type { EventStore, NewOutboxItem, NewTrackingEvent, RecordedEvent, RecordRequest } from './store/event-store'

let t: TestServer

beforeAll(async () => {
  t = await startTestServer()
})
afterAll(async () => {
  await t.stop()
})

async function createLink(kind: 'open' | 'click', body: unknown): Promise<string> {
  const response = await t.api(`/api/v1/links/${kind}`, { method: 'POST', json: body })
  expect(response.status).toBe(201)
  return ((await response.json()) as { url: string }).url
}

describe('the tracking server, end to end over HTTP', () => {
  it('creates its key owner-only on first start', () => {
    expect(statSync(t.dataDir).mode & 0o777).toBe(0o700)
    expect(statSync(join(t.dataDir, 'keys')).mode & 0o777).toBe(0o600)
  })

  it('serves the pixel and the redirect of links made by the API, and records both before answering', async () => {
    const metadata = { message_id: 'e2e-1', campaign: 'launch' }
    const open = await createLink('open', { metadata })
    const click = await createLink('click', { url: 'https://www.example.com/sale?x=1', metadata })
    expect(open).toMatch(/^http:\/\/localhost:8080\/open\/gAAAAA/)

    const pixel = await fetch(t.local(open), { headers: BROWSER })
    expect(pixel.status).toBe(200)
    expect(pixel.headers.get('content-type')).toBe('image/png')
    expect((await pixel.arrayBuffer()).byteLength).toBe(68)
    // Answered means stored: the event is there as soon as the response is.
    const afterOpen = await (await t.api('/api/v1/events?kind=open')).json()
    expect(afterOpen.events.at(-1)).toMatchObject({ kind: 'open', metadata, label: 'human', machine: false, clientIp: '127.0.0.1' })

    const redirect = await fetch(t.local(click), { headers: BROWSER, redirect: 'manual' })
    expect(redirect.status).toBe(302)
    expect(redirect.headers.get('location')).toBe('https://www.example.com/sale?x=1')
    const afterClick = await (await t.api('/api/v1/events?kind=click')).json()
    expect(afterClick.events.at(-1)).toMatchObject({
      kind: 'click',
      destination: 'https://www.example.com/sale?x=1',
      userAgent: BROWSER['user-agent'],
      requestData: { user_agent: BROWSER['user-agent'], user_ip: '127.0.0.1', client_kind: 'human' },
    })
  })

  it('labels machines and keeps them apart in the stats; a click counts as an open', async () => {
    const metadata = { message_id: 'stats-1', campaign: 'stats' }
    const other = { message_id: 'stats-2', campaign: 'stats' }
    const open = t.local(await createLink('open', { metadata }))
    const clickOnly = t.local(await createLink('click', { url: 'https://example.com/', metadata: other }))
    await fetch(open, { headers: BROWSER })
    await fetch(open, { headers: BROWSER })
    await fetch(open, { method: 'HEAD' })
    await fetch(clickOnly, { headers: BROWSER, redirect: 'manual' })
    const stats = await (await t.api('/api/v1/stats?groupBy=campaign')).json()
    expect(stats.groups.find((g: { value: unknown }) => g.value === 'stats')).toEqual({
      value: 'stats',
      opens: 2,
      uniqueOpens: 2,
      clicks: 1,
      uniqueClicks: 1,
      machineOpens: 1,
      machineClicks: 0,
    })
  })

  it('answers 404 for links it cannot open and records nothing', async () => {
    const before = (await (await t.api('/api/v1/stats')).json()).total
    const forged = getOpenTrackingUrl({ message_id: 'x' }, { baseOpenTrackingUrl: `${t.server.url}/open/` })
    const otherKey = getClickTrackingUrl('https://evil.example/', null, {
      baseClickTrackingUrl: `${t.server.url}/click/`,
      codec: fernetCodec(Fernet.generateKey()),
    })
    const cases: [string, number][] = [
      [forged, 404],
      [otherKey, 404],
      [`${t.server.url}/open/garbage`, 404],
      [`${t.server.url}/click/${'A'.repeat(5_000)}`, 414],
      [`${t.server.url}/click/${'A'.repeat(20_000)}`, 431],
    ]
    for (const [url, status] of cases) {
      const response = await fetch(url, { headers: BROWSER, redirect: 'manual' })
      expect(response.status).toBe(status)
    }
    expect((await (await t.api('/api/v1/stats')).json()).total).toEqual(before)
    expect((await fetch(`${t.server.url}/nothing-here`)).status).toBe(404)
  })

  it('pages through events with the cursor', async () => {
    const seen: number[] = []
    let cursor = ''
    for (;;) {
      const page = await (await t.api(`/api/v1/events?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json()
      seen.push(...page.events.map((e: { id: number }) => e.id))
      cursor = page.nextCursor
      if (!page.hasMore) break
    }
    expect(seen.length).toBeGreaterThanOrEqual(6)
    expect(seen).toEqual([...seen].sort((a, b) => a - b))
    expect(new Set(seen).size).toBe(seen.length)
  })

  it('adapts HTML and text through the API, with links that work', async () => {
    const html = '<html><body><p><a href="https://example.com/a?b=1&amp;c=2">A</a> <a href="mailto:x@example.com">m</a></p></body></html>'
    const response = await t.api('/api/v1/adapt', { method: 'POST', json: { html, metadata: { message_id: 'adapt-1' } } })
    expect(response.status).toBe(200)
    const body = await response.json()
    expect(body.links).toHaveLength(1)
    expect(body.links[0].url).toBe('https://example.com/a?b=1&c=2')
    expect(body.html).toContain('mailto:x@example.com')
    expect(body.html).toContain(body.pixelUrl.replaceAll('&', '&amp;'))
    const redirect = await fetch(t.local(body.links[0].trackingUrl), { headers: BROWSER, redirect: 'manual' })
    expect(redirect.headers.get('location')).toBe('https://example.com/a?b=1&c=2')

    const text = await t.api('/api/v1/adapt-text', { method: 'POST', json: { text: 'Go to https://example.com/x now', metadata: null } })
    const textBody = await text.json()
    expect(textBody.text).toMatch(/^Go to http:\/\/localhost:8080\/click\/\S+ now$/)
  })

  it('makes no click link it would not serve: the API refuses it with 400, adapt leaves it untracked with a warning', async () => {
    const malformed = ['https://e.com\\x', 'https:/e.com/x', 'https:e.com/x', 'https://e.com:8080\\x', 'https://e.com/\ud800']
    for (const url of malformed) {
      // A lone surrogate cannot be written as UTF-8 JSON; the escape reaches the server as written.
      const body = url.includes('\ud800') ? '{"url":"https://e.com/\\ud800"}' : JSON.stringify({ url })
      const response = await t.api('/api/v1/links/click', { method: 'POST', body, headers: { 'content-type': 'application/json' } })
      expect([url, response.status, (await response.json()).error.code]).toEqual([url, 400, 'invalid_request'])
    }
    const made = await (await t.api('/api/v1/links/click', { method: 'POST', json: { url: 'https://e.com/x' } })).json()
    const served = await fetch(t.local(made.url), { headers: BROWSER, redirect: 'manual' })
    expect([served.status, served.headers.get('location')]).toEqual([302, 'https://e.com/x'])

    const html = `<html><body>${malformed.map((href) => `<a href="${href}">x</a>`).join('')}</body></html>`
    const adapted = await (await t.api('/api/v1/adapt', { method: 'POST', json: { html } })).json()
    expect(adapted.links).toEqual([])
    expect(adapted.warnings.map((w: { code: string }) => w.code)).toContain('invalid-url')
    for (const href of malformed) expect(adapted.html).toContain(`href="${href}"`)
    const text = await (await t.api('/api/v1/adapt-text', { method: 'POST', json: { text: 'Go to https://e.com\\x now' } })).json()
    expect([text.text, text.links, text.warnings.map((w: { code: string }) => w.code)]).toEqual(['Go to https://e.com\\x now', [], ['invalid-url']])
  })

  it('lists webhook deliveries (none configured here)', async () => {
    const response = await t.api('/api/v1/webhooks/deliveries?status=failed')
    expect(await response.json()).toEqual({ deliveries: [], nextCursor: expect.any(String), hasMore: false })
    expect((await t.api('/api/v1/webhooks/deliveries/12/retry', { method: 'POST' })).status).toBe(404)
  })

  it('answers /healthz without a token', async () => {
    const response = await fetch(`${t.server.url}/healthz`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ status: 'ok' })
  })
})

describe('the API refuses bad requests with a 4xx and a stable code, and stays up', () => {
  const endpoints: [string, string][] = [
    ['POST', '/api/v1/links/open'],
    ['POST', '/api/v1/links/click'],
    ['POST', '/api/v1/adapt'],
    ['POST', '/api/v1/adapt-text'],
    ['GET', '/api/v1/events'],
    ['GET', '/api/v1/stats'],
    ['GET', '/api/v1/webhooks/deliveries'],
    ['POST', '/api/v1/webhooks/deliveries/1/retry'],
  ]

  async function error(response: Response): Promise<[number, string]> {
    const body = (await response.json()) as { error: { code: string; message: string } }
    expect(body.error.message.length).toBeGreaterThan(0)
    return [response.status, body.error.code]
  }

  it('needs the bearer token on every API endpoint', async () => {
    for (const [method, path] of endpoints) {
      for (const authorization of [undefined, 'Bearer wrong-token-0123456789', `Basic ${TOKEN}`, `Bearer ${TOKEN}x`, 'Bearer']) {
        const headers: Record<string, string> = { 'content-type': 'application/json' }
        if (authorization !== undefined) headers.authorization = authorization
        const response = await fetch(t.server.url + path, { method, headers, body: method === 'POST' ? '{}' : null })
        expect(await error(response)).toEqual([401, 'unauthorized'])
        expect(response.headers.get('www-authenticate')).toBe('Bearer')
      }
    }
  })

  it('refuses bad JSON, wrong media types, non-objects and huge bodies on every POST endpoint', async () => {
    for (const [method, path] of endpoints.filter(([m, p]) => m === 'POST' && !p.endsWith('/retry'))) {
      const send = (body: string, type = 'application/json') =>
        t.api(path, { method, body, headers: { 'content-type': type } })
      expect(await error(await send('{"metadata": '))).toEqual([400, 'invalid_json'])
      expect(await error(await send(''))).toEqual([400, 'invalid_json'])
      expect(await error(await send('[1,2]'))).toEqual([400, 'invalid_request'])
      expect(await error(await send('"text"'))).toEqual([400, 'invalid_request'])
      expect(await error(await send('{}', 'text/plain'))).toEqual([415, 'unsupported_media_type'])
      const limit = path.includes('adapt') ? 1024 * 1024 : 64 * 1024
      const huge = `{"html": "${'x'.repeat(limit + 10)}"}`
      expect(await error(await send(huge))).toEqual([413, 'body_too_large'])
    }
    expect(await error(await t.api('/api/v1/links/open', { method: 'GET' }))).toEqual([405, 'method_not_allowed'])
    // Every 405 names the methods that work (RFC 9110), and HEAD works where GET does.
    const allowed = async (path: string, method: string): Promise<[number, string | null]> => {
      const response = await t.api(path, { method })
      await response.arrayBuffer()
      return [response.status, response.headers.get('allow')]
    }
    expect(await allowed('/api/v1/links/open', 'GET')).toEqual([405, 'POST'])
    expect(await allowed('/api/v1/events', 'DELETE')).toEqual([405, 'GET, HEAD'])
    expect(await allowed('/api/v1/webhooks/deliveries/1/retry', 'GET')).toEqual([405, 'POST'])
    expect(await allowed('/healthz', 'POST')).toEqual([405, 'GET, HEAD'])
    expect(await allowed('/api/v1/events', 'HEAD')).toEqual([200, null])
    expect(await error(await t.api('/api/v1/nope'))).toEqual([404, 'not_found'])
  })

  it('refuses wrong types field by field', async () => {
    const cases: [string, unknown, string][] = [
      ['/api/v1/links/open', { metadata: 'm-1' }, 'invalid_request'],
      ['/api/v1/links/open', { metadata: [1] }, 'invalid_request'],
      ['/api/v1/links/open', { metadata: { big: 'x'.repeat(5000) } }, 'link_too_long'],
      ['/api/v1/links/click', {}, 'invalid_request'],
      ['/api/v1/links/click', { url: 42 }, 'invalid_request'],
      ['/api/v1/links/click', { url: 'javascript:alert(1)' }, 'invalid_request'],
      ['/api/v1/links/click', { url: '/relative' }, 'invalid_request'],
      ['/api/v1/links/click', { url: 'https://example.com/a\r\nSet-Cookie: x=1' }, 'invalid_request'],
      ['/api/v1/links/click', { url: 'https://exa\tmple.com/' }, 'invalid_request'],
      ['/api/v1/adapt', { html: 42 }, 'invalid_request'],
      ['/api/v1/adapt', { html: '<a href="https://x.example/">x</a>', openTracking: 'yes' }, 'invalid_request'],
      ['/api/v1/adapt', { html: '', pixelPosition: 'left' }, 'invalid_request'],
      ['/api/v1/adapt', { html: '', allowDomains: 'example.com' }, 'invalid_request'],
      ['/api/v1/adapt-text', { text: null }, 'invalid_request'],
      ['/api/v1/adapt-text', { text: '', openTracking: true }, 'invalid_request'],
    ]
    for (const [path, json, code] of cases) {
      expect([path, ...(await error(await t.api(path, { method: 'POST', json })))]).toEqual([path, 400, code])
    }
    const queries: [string, string][] = [
      ['/api/v1/events?limit=abc', 'invalid_request'],
      ['/api/v1/events?limit=0', 'invalid_request'],
      ['/api/v1/events?limit=100000', 'invalid_request'],
      ['/api/v1/events?cursor=%00%01', 'invalid_request'],
      ['/api/v1/events?kind=bounce', 'invalid_request'],
      ['/api/v1/stats?groupBy=a%20b', 'invalid_request'],
      ['/api/v1/stats?groupBy=' + 'k'.repeat(65), 'invalid_request'],
      ['/api/v1/webhooks/deliveries?status=lost', 'invalid_request'],
    ]
    for (const [path, code] of queries) {
      expect([path, ...(await error(await t.api(path)))]).toEqual([path, 400, code])
    }
    // Still up and answering.
    expect((await fetch(`${t.server.url}/healthz`)).status).toBe(200)
  })

  it('survives raw garbage on the socket', async () => {
    const { connect } = await import('node:net')
    const port = new URL(t.server.url).port
    for (const payload of ['GARBAGE\r\n\r\n', `GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 'POST /api/v1/links/open HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n{']) {
      await new Promise<void>((resolve) => {
        const socket = connect(Number(port), '127.0.0.1', () => socket.end(payload))
        socket.on('data', () => undefined)
        socket.on('close', () => resolve())
        socket.on('error', () => resolve())
      })
    }
    expect((await fetch(`${t.server.url}/healthz`)).status).toBe(200)
  })
})

describe('start-up', () => {
  it('refuses to open the API to the network without a token', async () => {
    const dir = tempDir()
    try {
      const settings = { ...loadSettings({ env: {}, overrides: { dataDir: dir.path } }), host: '0.0.0.0' }
      await expect(startServer(settings)).rejects.toMatchObject({ code: 'ERR_PYTRACK_SETTINGS', setting: 'PYTRACK_API_TOKEN' })
    } finally {
      dir.remove()
    }
  })

  it('fails fast with a settings error when the port is taken', async () => {
    const port = Number(new URL(t.server.url).port)
    const dir = tempDir()
    try {
      const settings = loadSettings({ env: {}, overrides: { dataDir: dir.path, port, logLevel: 'silent' } })
      const error = await startServer(settings).catch((e: unknown) => e)
      expect(isPytrackError(error, 'ERR_PYTRACK_SETTINGS')).toBe(true)
      expect((error as Error).message).toMatch(/already in use/)
    } finally {
      dir.remove()
    }
  })

  it('fails fast on a key that is not a Fernet key, without printing it', async () => {
    const dir = tempDir()
    try {
      const settings = loadSettings({ env: { PYTRACK_KEYS: 'not-a-key-but-secret' }, overrides: { dataDir: dir.path, port: 0, logLevel: 'silent' } })
      const error = await startServer(settings).catch((e: unknown) => e)
      expect(isPytrackError(error, 'ERR_PYTRACK_SETTINGS')).toBe(true)
      expect((error as Error).message).toMatch(/PYTRACK_KEYS/)
      expect((error as Error).message).not.toContain('not-a-key-but-secret')
    } finally {
      dir.remove()
    }
  })

  it('names the variable when a trusted proxy or redirect entry is wrong', async () => {
    const dir = tempDir()
    try {
      for (const [env, setting] of [
        [{ PYTRACK_TRUSTED_PROXIES: 'not-an-ip' }, 'PYTRACK_TRUSTED_PROXIES'],
        [{ PYTRACK_REDIRECT_ALLOW: 'ftp://x y' }, 'PYTRACK_REDIRECT_ALLOW'],
      ] as const) {
        const settings = loadSettings({ env, overrides: { dataDir: dir.path, port: 0, logLevel: 'silent' } })
        await expect(startServer(settings)).rejects.toMatchObject({ code: 'ERR_PYTRACK_SETTINGS', setting })
      }
    } finally {
      dir.remove()
    }
  })

  it('opens links sealed with any of several keys, sealing with the first', async () => {
    const dir = tempDir()
    const old = 'XdhWbQZnqCIPLBL0ViPIW2vBTsmUNxAS-7mOtTdu6ZM='
    const first = await startTestServer({ keys: [old] }, join(dir.path, 'a'))
    const oldLink = first.local(await (await first.api('/api/v1/links/open', { method: 'POST', json: { metadata: { k: 1 } } })).json().then((b) => b.url))
    await first.stop()
    const rotated = await startTestServer({ keys: ['oFH6SKVReV20Q5uAQwKQ8FT8ew1NqmV-Zmqz374x4Po=', old] }, join(dir.path, 'b'))
    try {
      const response = await fetch(rotated.server.url + new URL(oldLink).pathname, { headers: BROWSER })
      expect(response.status).toBe(200)
    } finally {
      await rotated.stop()
      dir.remove()
    }
  })
})

/**
 * A server on a store that wraps an in-memory SQLite store with the given methods replaced
 * (a slow or broken database), with an open and a click link to hit.
 */
async function startWithStore(replaced: Partial<EventStore>) {
  const inner = openSqliteEventStore({ file: ':memory:' })
  const t = await startTestServer({}, undefined, { store: wrapStore(inner, replaced) })
  const configuration = t.server.configuration
  return {
    inner,
    server: t.server,
    open: t.local(getOpenTrackingUrl({ message_id: 'slow' }, { configuration })),
    click: t.local(getClickTrackingUrl('https://example.com/', { message_id: 'slow' }, { configuration })),
    stop: t.stop,
  }
}

describe('answers only after the store has committed', () => {
  it('holds the pixel and the redirect until an asynchronous store resolves, also during shutdown', async () => {
    let committed = 0
    // A store as a network database would be: each commit resolves when the test lets it.
    const commits: (() => void)[] = []
    const watch = createWatch()
    const held = async (): Promise<void> => {
      const gate = deferred()
      commits.push(gate.resolve)
      watch.notify()
      await gate.promise
    }
    const commitNext = async (): Promise<void> => (await watch.until(() => commits.shift()))()
    const t = await startWithStore({
      recordEvent: async (event: NewTrackingEvent, outbox: readonly NewOutboxItem[]): Promise<RecordedEvent> => {
        await held()
        const recorded = t.inner.recordEvent(event, outbox)
        committed++
        return recorded
      },
      recordEvents: async (batch: readonly RecordRequest[]): Promise<RecordedEvent[]> => {
        await held()
        const recorded = t.inner.recordEvents(batch)
        committed += batch.length
        return recorded
      },
    })
    const { open, click, server } = t
    try {
      const pixel = fetch(open, { headers: BROWSER })
      await commitNext()
      expect((await pixel).status).toBe(200)
      expect(committed).toBe(1)
      const redirect = fetch(click, { headers: BROWSER, redirect: 'manual' })
      await commitNext()
      expect((await redirect).status).toBe(302)
      expect(committed).toBe(2)
      // Shutdown lets a request in flight (its commit under way) finish, then refuses new ones.
      const inFlight = fetch(open, { headers: BROWSER })
      await watch.until(() => commits.length > 0)
      const closing = server.close()
      await commitNext()
      expect((await inFlight).status).toBe(200)
      expect(committed).toBe(3)
      await closing
      await expect(fetch(open, { headers: BROWSER })).rejects.toThrow()
    } finally {
      await t.stop()
    }
  })

  it('commits the hits that arrive together in one transaction, and answers each only after its commit', async () => {
    const batches: number[] = []
    const committedIds = new Set<string>()
    // The first commit waits until the server has answered a request sent after all the hits,
    // so the hits behind it have arrived while it was under way.
    const firstCommit = deferred()
    let first = true
    const t = await startWithStore({
      recordEvents: async (batch: readonly RecordRequest[]): Promise<RecordedEvent[]> => {
        if (first) {
          first = false
          await firstCommit.promise
        }
        const recorded = t.inner.recordEvents(batch)
        batches.push(batch.length)
        for (const { event } of batch) committedIds.add(String(event.metadata.message_id))
        return recorded
      },
    })
    try {
      const configuration = t.server.configuration
      const hit = async (i: number): Promise<void> => {
        const id = `group-${i}`
        const link = i % 2 === 0
          ? getOpenTrackingUrl({ message_id: id }, { configuration })
          : getClickTrackingUrl('https://example.com/', { message_id: id }, { configuration })
        const response = await fetch(t.server.url + new URL(link).pathname, { headers: BROWSER, redirect: 'manual' })
        expect(response.status).toBe(i % 2 === 0 ? 200 : 302)
        // The answer came after the commit that holds its event.
        expect(committedIds.has(id)).toBe(true)
      }
      const hits = Promise.all(Array.from({ length: 12 }, (_, i) => hit(i)))
      expect((await fetch(`${t.server.url}/healthz`)).status).toBe(200)
      firstCommit.resolve()
      await hits
      expect(batches.reduce((sum, size) => sum + size, 0)).toBe(12)
      // While one commit is under way, the hits behind it wait and share the next one.
      expect(batches.length).toBeLessThan(12)
      expect(t.inner.listEvents({ limit: 100 }).items).toHaveLength(12)
    } finally {
      await t.stop()
    }
  })

  it('answers 503 when the store fails', async () => {
    const down = async (): Promise<never> => {
      throw new StoreError('the database is down')
    }
    const { inner, open, click, stop } = await startWithStore({ recordEvent: down, recordEvents: down })
    try {
      const pixel = await fetch(open, { headers: BROWSER })
      expect(pixel.status).toBe(503)
      expect(pixel.headers.get('retry-after')).toBe('1')
      expect(pixel.headers.get('content-type')).not.toBe('image/png')
      const redirect = await fetch(click, { headers: BROWSER, redirect: 'manual' })
      expect(redirect.status).toBe(503)
      expect(redirect.headers.get('location')).toBeNull()
      expect(inner.listEvents().items).toEqual([])
    } finally {
      await stop()
    }
  })
})
