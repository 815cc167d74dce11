import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../test/helpers'
import { MAX_ADAPT_LINKS } from './_internal/adapt-limit'

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
