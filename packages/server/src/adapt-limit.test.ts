import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../test/helpers'
import { MAX_ADAPT_LINKS } from './_internal/adapt-limit'
import { TOKEN } from '../test/helpers'

let server: TestServer
beforeAll(async () => {
  server = await startTestServer()
})
afterAll(() => server.stop())

const filler = (size: number): string => 'lorem ipsum dolor sit amet '.repeat(Math.ceil(size / 27)).slice(0, size)

describe('adapt requests are bounded so they do not hold the tracking routes', () => {
  it('refuses more links than one request may hold, before sealing any, and takes the most it allows', async () => {
    // What stalled /healthz for most of a second: a 990 KB text of 110,000 URLs.
    const flood = 'https://e.com/x '.repeat(61_875)
    const refused = await server.api('/api/v1/adapt-text', { method: 'POST', json: { text: flood } })
    expect(refused.status).toBe(400)
    expect(await refused.json()).toEqual({
      error: { code: 'invalid_request', message: `the text has more than ${MAX_ADAPT_LINKS} links, the most one adapt request takes; adapt it in parts` },
    })
    const links = (count: number): string => Array.from({ length: count }, (_, i) => `<a href="https://example.com/${i}">x</a>`).join('\n')
    const tooMany = await server.api('/api/v1/adapt', { method: 'POST', json: { html: `<body>${links(MAX_ADAPT_LINKS + 1)}</body>` } })
    expect(tooMany.status).toBe(400)
    // The largest request the API takes: about 1 MiB with the most links.
    const html = `<body>${links(MAX_ADAPT_LINKS)}<p>${filler(1_000_000)}</p></body>`
    const largest = await server.api('/api/v1/adapt', { method: 'POST', json: { html } })
    expect(largest.status).toBe(200)
    expect(((await largest.json()) as { links: unknown[] }).links).toHaveLength(MAX_ADAPT_LINKS)
    const text = await server.api('/api/v1/adapt-text', { method: 'POST', json: { text: `${'see https://example.com/a '.repeat(MAX_ADAPT_LINKS)}${filler(1_000_000)}` } })
    expect(text.status).toBe(200)
  })
})

/** Posts `json` with node:http; resolves `sent` once the whole body has left, `answered` with the status. */
function post(url: string, json: unknown): { sent: Promise<void>; answered: Promise<number> } {
  const body = JSON.stringify(json)
  let markSent!: () => void
  const sent = new Promise<void>((resolve) => (markSent = resolve))
  const answered = new Promise<number>((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } }, (response) => {
      response.resume()
      response.on('end', () => resolve(response.statusCode ?? 0))
    })
    request.on('error', reject)
    request.on('finish', markSent)
    request.end(body)
  })
  return { sent, answered }
}

describe('adapt requests run beside the tracking routes, not in front of them', () => {
  it('answers pixels and /healthz one after another while the largest adapt request is worked on', async () => {
    const pixel = server.local((await (await server.api('/api/v1/links/open', { method: 'POST', json: { metadata: { n: 1 } } })).json() as { url: string }).url)
    const links = Array.from({ length: MAX_ADAPT_LINKS }, (_, i) => `<a href="https://example.com/${i}">x</a>`).join('\n')
    const html = `<body>${links}<p>${filler(1_000_000)}</p></body>`
    // Before the adapt worker, a request sent after the whole body was answered only once the
    // adapt was done (the event loop was busy with it): none came back in between.
    const adapting = post(`${server.server.url}/api/v1/adapt`, { html })
    let done = false
    const status = adapting.answered.finally(() => (done = true))
    await adapting.sent
    let answeredMeanwhile = 0
    while (!done) {
      const [open, health] = await Promise.all([fetch(pixel), fetch(`${server.server.url}/healthz`)])
      expect([open.status, health.status]).toEqual([200, 200])
      await Promise.all([open.arrayBuffer(), health.arrayBuffer()])
      if (!done) answeredMeanwhile++
    }
    expect(await status).toBe(200)
    expect(answeredMeanwhile).toBeGreaterThanOrEqual(5)
  })

  it('answers the library errors thrown in the worker as before: 400 invalid_request naming the option', async () => {
    const response = await server.api('/api/v1/adapt', { method: 'POST', json: { html: '<a href="https://e.com/">x</a>', metadata: { n: 1 }, allowDomains: ['not a domain pattern!'] } })
    const body = (await response.json()) as { error: { code: string; message: string } }
    expect(response.status, JSON.stringify(body)).toBe(400)
    expect(body.error.code).toBe('invalid_request')
    expect(body.error.message).toMatch(/allowDomains/)
  })
})
