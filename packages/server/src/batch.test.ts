// POST /api/v1/adapt/batch over real HTTP: JSON lines in, JSON lines out, read and written as they go.
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { getClickTrackingResult, getOpenTrackingResult, getOpenTrackingUrl } from '@pytrack/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BROWSER, TOKEN, startTestServer, type TestServer } from '../test/helpers'
import { BATCH_READ_AHEAD, batchWaitChannel } from './_internal/batch'

let t: TestServer
beforeAll(async () => {
  t = await startTestServer()
})
afterAll(() => t.stop())

const html = '<html><body><p><a href="https://example.com/a?b=1&amp;c=2">A</a> <a href="https://example.com/b">B</a> <a href="mailto:x@example.com">m</a></p></body></html>'
const text = 'Go to https://example.com/a now.'
const lines = (...values: unknown[]): string => values.map((value) => `${typeof value === 'string' ? value : JSON.stringify(value)}\n`).join('')
const NDJSON = { 'content-type': 'application/x-ndjson' }

async function batch(body: string, headers: Record<string, string> = NDJSON): Promise<{ status: number; lines: Record<string, unknown>[]; raw: string }> {
  const response = await t.api('/api/v1/adapt/batch', { method: 'POST', body, headers })
  const raw = await response.text()
  return { status: response.status, raw, lines: raw.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>) }
}

/** The text with each tracking link replaced by what it decodes to (Fernet links differ at each making). */
function decoded(text: string): string {
  const configuration = t.server.configuration
  return text.replace(/http:\/\/localhost:8080\/(click|open)\/[A-Za-z0-9_=-]+/g, (link, kind: string) => {
    const result = kind === 'click' ? getClickTrackingResult(link, { configuration }) : getOpenTrackingResult(link, { configuration })
    return JSON.stringify([result.trackedUrl, result.metadata])
  })
}

describe('the batch endpoint', () => {
  it("answers each recipient with what /api/v1/adapt and /api/v1/adapt-text give for its metadata, in order, then a done line", async () => {
    const recipients = [1, 2, 3].map((n) => ({ id: `r-${n}`, metadata: { message_id: `m-${n}`, customer_id: n } }))
    const { status, lines: answer } = await batch(lines({ html, text, metadata: { campaign: 'fall' }, linkMetadata: true }, ...recipients))
    expect(status).toBe(200)
    expect(answer.at(-1)).toEqual({ done: true, count: 3, failed: 0 })
    for (const [index, recipient] of recipients.entries()) {
      const line = answer[index]!
      const metadata = { campaign: 'fall', ...recipient.metadata }
      const single = await (await t.api('/api/v1/adapt', { method: 'POST', json: { html, metadata, linkMetadata: true } })).json()
      const singleText = await (await t.api('/api/v1/adapt-text', { method: 'POST', json: { text, metadata, linkMetadata: true } })).json()
      expect(line).toEqual({ index, id: recipient.id, html: expect.any(String), text: expect.any(String), pixelUrl: expect.any(String), warnings: [] })
      expect(decoded(line.html as string)).toBe(decoded(single.html))
      expect(decoded(line.text as string)).toBe(decoded(singleText.text))
      expect(decoded(line.pixelUrl as string)).toBe(decoded(single.pixelUrl))
      const href = /href="([^"]+)"/.exec(line.html as string)![1]!.replaceAll('&amp;', '&')
      expect(getClickTrackingResult(href, { configuration: t.server.configuration }).metadata).toEqual({ ...metadata, link_index: 0 })
      const redirect = await fetch(t.local(href), { headers: BROWSER, redirect: 'manual' })
      expect(redirect.headers.get('location')).toBe('https://example.com/a?b=1&c=2')
    }
  })

  it('answers a bad recipient line with an error line and goes on; the done line counts it', async () => {
    const { status, lines: answer } = await batch(
      lines({ text }, { metadata: { n: 1 } }, '{"metadata": ', { metadata: [1] }, '[]', '', { id: 'x', metadata: { n: 2 } }),
    )
    expect(status).toBe(200)
    expect(answer.map((line) => (line.error as { code: string } | undefined)?.code ?? (line.done === true ? 'done' : 'ok'))).toEqual([
      'ok',
      'invalid_json',
      'invalid_request',
      'invalid_request',
      'ok',
      'done',
    ])
    expect(answer[4]).toMatchObject({ index: 4, id: 'x', html: null })
    expect(answer.at(-1)).toEqual({ done: true, count: 5, failed: 3 })
  })

  it('refuses a bad request before the first recipient with the usual error answer', async () => {
    const refused = async (body: string, headers?: Record<string, string>) => {
      const { status, lines: answer } = await batch(body, headers)
      return [status, (answer[0]?.error as { code: string }).code]
    }
    expect(await refused(lines({ html }), { 'content-type': 'application/json' })).toEqual([415, 'unsupported_media_type'])
    expect(await refused('')).toEqual([400, 'invalid_request'])
    expect(await refused(lines('{"html": '))).toEqual([400, 'invalid_json'])
    expect(await refused(lines({ metadata: {} }))).toEqual([400, 'invalid_request'])
    expect(await refused(lines({ html, pixelPosition: 'left' }))).toEqual([400, 'invalid_request'])
    expect(await refused(lines({ html: '<a href="https://e.com/">x</a>'.repeat(501) }))).toEqual([400, 'invalid_request'])
    expect(await refused(`{"html": "${'x'.repeat(1024 * 1024 + 10)}"}`)).toEqual([413, 'body_too_large'])
    const anonymous = await fetch(`${t.server.url}/api/v1/adapt/batch`, { method: 'POST', headers: NDJSON, body: lines({ html }) })
    expect(anonymous.status).toBe(401)
  })

  it('stops at a recipient line over 64 KiB with an error line, after answering the ones before it', async () => {
    const { status, lines: answer } = await batch(lines({ text }, { metadata: { n: 1 } }) + `{"metadata": {"x": "${'y'.repeat(70_000)}"}}\n`)
    expect(status).toBe(200)
    expect(answer).toHaveLength(2)
    expect(answer[1]).toMatchObject({ error: { code: 'body_too_large' }, count: 1 })
  })
})

/** A batch request over node:http whose body the test writes as it goes. */
function openBatch(): { write: (text: string) => void; end: () => void; response: Promise<IncomingMessage> } {
  const url = new URL('/api/v1/adapt/batch', t.server.url)
  const request = httpRequest(url, { method: 'POST', headers: { ...NDJSON, authorization: `Bearer ${TOKEN}` } })
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    request.once('response', resolve)
    request.once('error', reject)
  })
  request.flushHeaders()
  return { write: (text) => request.write(text), end: () => request.end(), response }
}

/** The answer's lines as they arrive. */
async function* answerLines(response: IncomingMessage): AsyncGenerator<Record<string, unknown>> {
  let pending = ''
  for await (const chunk of response) {
    pending += String(chunk)
    let end
    while ((end = pending.indexOf('\n')) !== -1) {
      yield JSON.parse(pending.slice(0, end)) as Record<string, unknown>
      pending = pending.slice(end + 1)
    }
  }
}

describe('streaming', () => {
  it('reads a line whose UTF-8 character is split between two writes, and a last line without \\n', async () => {
    const url = new URL('/api/v1/adapt/batch', t.server.url)
    const request = httpRequest(url, { method: 'POST', headers: { ...NDJSON, authorization: `Bearer ${TOKEN}` } })
    const response = new Promise<IncomingMessage>((resolve, reject) => {
      request.once('response', resolve)
      request.once('error', reject)
    })
    const first = Buffer.from(lines({ text }, { id: 'zoë', metadata: { name: 'Zoë 🎉' } }))
    // Cut inside the four bytes of 🎉: the rest goes once the server has answered the template (its 200).
    const cut = first.indexOf(Buffer.from('🎉')) + 2
    request.write(first.subarray(0, cut))
    await response
    request.end(Buffer.concat([first.subarray(cut), Buffer.from(JSON.stringify({ id: 'last', metadata: { name: 'Ünal' } }))]))
    const answer: Record<string, unknown>[] = []
    for await (const line of answerLines(await response)) answer.push(line)
    expect(answer.map((line) => line.id ?? line.done)).toEqual(['zoë', 'last', true])
    expect(decoded(answer[0]!.text as string)).toContain('"name":"Zoë 🎉"')
    expect(decoded(answer[1]!.text as string)).toContain('"name":"Ünal"')
  })

  it('answers a recipient before the rest of the body is sent', async () => {
    const client = openBatch()
    client.write(lines({ html }, { metadata: { n: 0 } }))
    const response = await client.response
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('application/x-ndjson; charset=utf-8')
    const answer = answerLines(response)
    // The body is still open: this line was read and answered from what has arrived so far.
    expect((await answer.next()).value).toMatchObject({ index: 0 })
    client.write(lines({ metadata: { n: 1 } }))
    expect((await answer.next()).value).toMatchObject({ index: 1 })
    client.end()
    expect((await answer.next()).value).toEqual({ done: true, count: 2, failed: 0 })
  })

  it('keeps answering pixels while it renders a 20,000 recipient batch', async () => {
    const client = openBatch()
    client.write(lines({ html }))
    const response = await client.response
    let rendered = 0
    let pixelAnsweredAt = -1
    const reading = (async () => {
      for await (const line of answerLines(response)) if (line.done !== true) rendered++
    })()
    const pixel = t.local(getOpenTrackingUrl({ message_id: 'during-batch' }, { configuration: t.server.configuration }))
    const body = lines(...Array.from({ length: Number(process.env.N ?? 20_000) }, (_, n) => ({ metadata: { message_id: `m-${n}` } })))
    client.write(body)
    client.end()
    const answered = await fetch(pixel, { headers: BROWSER })
    pixelAnsweredAt = rendered
    expect(answered.status).toBe(200)
    await reading
    expect(rendered).toBe(20_000)
    // The pixel was answered while the batch was still being written, not after it.
    expect(pixelAnsweredAt).toBeLessThan(20_000)
  })

  it('holds a client that does not read back: the socket\'s buffer and the read-ahead stay bounded, and the batch goes on when it reads', async () => {
    // Each answer is about 40 KB: 2,000 of them (80 MB) are far more than the kernel's socket buffers take.
    const big = `<html><body><p>${'All the news of the season. '.repeat(1500)}</p><a href="https://example.com/a">A</a> <a href="https://example.com/b">B</a></body></html>`
    const count = 2_000
    const waits: { recipients: number; buffered: number; readAhead: number }[] = []
    let firstWait: () => void = () => undefined
    const waited = new Promise<void>((resolve) => (firstWait = resolve))
    const onWait = (message: unknown): void => {
      waits.push(message as (typeof waits)[number])
      firstWait()
    }
    subscribe(batchWaitChannel.name, onWait)
    try {
      const client = openBatch()
      client.write(lines({ html: big }))
      client.write(lines(...Array.from({ length: count }, (_, n) => ({ metadata: { message_id: `m-${n}` } }))))
      client.end()
      const response = await client.response
      response.pause()
      // The client reads nothing: the server fills the socket, then waits for it instead of buffering the rest.
      await waited
      const [first] = waits
      const answerBytes = 45_000
      expect(first!.recipients).toBeLessThan(count)
      for (const wait of waits) {
        expect(wait.buffered).toBeLessThan(64 * 1024 + 2 * answerBytes + 16 * 1024)
        expect(wait.readAhead).toBeLessThanOrEqual(BATCH_READ_AHEAD + 64 * 1024)
      }
      // Now it reads: every recipient is answered, in order.
      let answered = 0
      let end: Record<string, unknown> = {}
      for await (const line of answerLines(response)) {
        if (line.done === true) end = line
        else expect(line.index).toBe(answered++)
      }
      expect(end).toEqual({ done: true, count, failed: 0 })
      expect(answered).toBe(count)
      for (const wait of waits) expect(wait.buffered).toBeLessThan(64 * 1024 + 2 * answerBytes + 16 * 1024)
      expect(waits.length).toBeGreaterThan(1)
    } finally {
      unsubscribe(batchWaitChannel.name, onWait)
    }
  })
})
