import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnServer } from '../test/child-server'
import { startTestServer, tempDir, TOKEN, type TestServer } from '../test/helpers'
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
  it('answers pixels one after another while the largest adapt request is worked on (the server in its own process)', { timeout: 60_000 }, async () => {
    const dir = tempDir()
    const child = await spawnServer({ PYTRACK_DATA_DIR: dir.path, PYTRACK_API_TOKEN: TOKEN })
    try {
      const made = await fetch(`${child.url}/api/v1/links/open`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{"metadata":{"n":1}}' })
      const pixel = `${child.url}${new URL(((await made.json()) as { url: string }).url).pathname}`
      const links = Array.from({ length: MAX_ADAPT_LINKS }, (_, i) => `<a href="https://example.com/${i}">x</a>`).join('\n')
      const html = `<body>${links}<p>${filler(1_000_000)}</p></body>`
      for (let round = 0; round < 2; round++) { // the second round: the worker is up
        const adapting = post(`${child.url}/api/v1/adapt`, { html })
        let done = false
        const status = adapting.answered.finally(() => (done = true))
        await adapting.sent
        // Pixels one at a time until the adapt answer arrives. With the adapt on the event loop
        // the server answered none once it began adapting (only the few that came in while it
        // read and parsed the body); in the worker it takes 20 to 300 pixels' time here. (Measured: 0 and 0 on the event loop;
        // 268 and 20 in the worker, the first round starting it.)
        let answeredMeanwhile = 0
        while (!done) {
          const open = await fetch(pixel, { headers: { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36' } })
          expect(open.status).toBe(200)
          await open.arrayBuffer()
          if (!done) answeredMeanwhile++
        }
        expect(await status).toBe(200)
        expect(answeredMeanwhile).toBeGreaterThanOrEqual(5)
      }
    } finally {
      child.child.kill('SIGTERM')
      await child.exited
      dir.remove()
    }
  })

  it('answers the library errors thrown in the worker as before: 400 invalid_request naming the option', async () => {
    const response = await server.api('/api/v1/adapt', { method: 'POST', json: { html: '<a href="https://e.com/">x</a>', metadata: { n: 1 }, allowDomains: ['not a domain pattern!'] } })
    const body = (await response.json()) as { error: { code: string; message: string } }
    expect(response.status, JSON.stringify(body)).toBe(400)
    expect(body.error.code).toBe('invalid_request')
    expect(body.error.message).toMatch(/allowDomains/)
  })
})
