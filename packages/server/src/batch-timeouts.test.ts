// The time limits over real HTTP: a batch streams past the 10 s the other requests' bodies have,
// while a peer that stops sending, or dribbles, is still cut off (slowloris). These tests take
// 8 to 12 s each, as the limits do; they run together. The senders that pace their bytes with
// timers are the workload (a slow peer), not a wait for an event.
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TOKEN, startTestServer, type TestServer } from '../test/helpers'
import { BATCH_LINE_TIMEOUT_MS } from './_internal/batch'
import { REQUEST_TIMEOUT_MS } from './_internal/request-deadline'

let t: TestServer
beforeAll(async () => {
  t = await startTestServer()
})
afterAll(() => t.stop())

const line = (value: unknown): string => `${JSON.stringify(value)}\n`

function open(path: string, contentType: string): { request: ClientRequest; response: Promise<IncomingMessage>; closed: Promise<void> } {
  const request = httpRequest(new URL(path, t.server.url), { method: 'POST', headers: { 'content-type': contentType, authorization: `Bearer ${TOKEN}` } })
  const closed = new Promise<void>((resolve) => request.once('close', () => resolve()))
  request.on('error', () => undefined)
  const response = new Promise<IncomingMessage>((resolve) => request.once('response', resolve))
  request.flushHeaders()
  return { request, response, closed }
}

/** The answer's lines, each handed to `onLine` as it arrives; resolves with all of them at the end. */
async function readLines(response: IncomingMessage, onLine: (line: Record<string, unknown>) => void = () => undefined): Promise<Record<string, unknown>[]> {
  const all: Record<string, unknown>[] = []
  let pending = ''
  try {
    for await (const chunk of response) {
      pending += String(chunk)
      let end
      while ((end = pending.indexOf('\n')) !== -1) {
        const parsed = JSON.parse(pending.slice(0, end)) as Record<string, unknown>
        pending = pending.slice(end + 1)
        all.push(parsed)
        onLine(parsed)
      }
    }
  } catch {
    // The connection was closed on purpose: what arrived before is the answer.
  }
  return all
}

/**
 * Opens a raw connection that sends `text` a character at a time, one every `everyMs` (never
 * silent long enough for the idle limit); `started` resolves once its first byte is written,
 * `received` with all the server sent once it closes the connection.
 */
function dribbleRaw(text: string, everyMs: number): { started: Promise<void>; received: Promise<string> } {
  const socket = connect(t.server.port, '127.0.0.1')
  socket.on('error', () => undefined)
  let at = 0
  let received = ''
  const started = new Promise<void>((resolve) => socket.once('connect', () => {
    socket.write(text[at++]!)
    resolve()
  }))
  const timer = setInterval(() => {
    if (at < text.length && socket.writable) socket.write(text[at++]!)
  }, everyMs)
  socket.on('data', (data: Buffer) => (received += data.toString('latin1')))
  return { started, received: new Promise((resolve) => socket.once('close', () => {
    clearInterval(timer)
    resolve(received)
  })) }
}

/** Sends `text` a character at a time, one every `everyMs`; stops when the request closes. */
function dribble(request: ClientRequest, text: string, everyMs: number): void {
  let at = 0
  const timer = setInterval(() => {
    if (request.destroyed || at >= text.length) clearInterval(timer)
    else request.write(text[at++]!)
  }, everyMs)
  request.once('close', () => clearInterval(timer))
}

describe.concurrent('time limits', () => {
  it('streams a batch for longer than the whole-request limit while its client keeps sending lines', async () => {
    const { request, response } = open('/api/v1/adapt/batch', 'application/x-ndjson')
    request.write(line({ text: 'See https://example.com/a' }))
    const started = performance.now()
    const count = 7
    let sent = 0
    // A line every 2 s, each once the one before is answered: 7 of them take past 12 s.
    const sendNext = (): void => {
      if (sent === count) request.end()
      else request.write(line({ metadata: { message_id: `m-${sent++}` } }))
    }
    const answer = readLines(await response, (parsed) => {
      if (parsed.done !== true) setTimeout(sendNext, 2_000)
    })
    sendNext()
    const lines = await answer
    expect(performance.now() - started).toBeGreaterThan(REQUEST_TIMEOUT_MS)
    expect(lines.at(-1)).toEqual({ done: true, count, failed: 0 })
  })

  it('ends a batch whose client stops sending with an error line, and closes its connection', async () => {
    const { request, response, closed } = open('/api/v1/adapt/batch', 'application/x-ndjson')
    request.write(line({ text: 'See https://example.com/a' }) + line({ metadata: { n: 0 } }) + '{"metadata": {"n"')
    const lines = await readLines(await response)
    await closed
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatchObject({ index: 0 })
    expect(lines[1]).toEqual({ error: { code: 'request_timeout', message: expect.stringContaining(`${BATCH_LINE_TIMEOUT_MS / 1000} s`) }, count: 1 })
  })

  it('cuts off a batch client that dribbles a line a byte at a time, though its connection is never idle', async () => {
    const { request, response, closed } = open('/api/v1/adapt/batch', 'application/x-ndjson')
    request.write(line({ text: 'See https://example.com/a' }))
    dribble(request, line({ metadata: { n: 'x'.repeat(100) } }), 1_000)
    const lines = await readLines(await response)
    await closed
    expect(lines).toEqual([{ error: expect.objectContaining({ code: 'request_timeout' }), count: 0 }])
  })

  it('answers 408 to headers that have not all arrived within the headers limit, and answers a pixel meanwhile (slowloris)', async () => {
    const { url } = (await (await t.api('/api/v1/links/open', { method: 'POST', json: { metadata: { slow: true } } })).json()) as { url: string }
    // Headers that never end, a byte a second, on many connections: node:http's headersTimeout
    // (10 s, checked every 2 s) cuts each off with the 408 of the server's clientError handler.
    const slow = Array.from({ length: 50 }, () => dribbleRaw(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(100)}`, 1_000))
    await Promise.all(slow.map((client) => client.started))
    // While they hold their connections, another client's pixel is answered.
    const pixel = await fetch(t.local(url))
    expect(pixel.status).toBe(200)
    expect(pixel.headers.get('content-type')).toBe('image/png')
    for (const received of await Promise.all(slow.map((client) => client.received))) expect(received).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/)
  })

  it('answers 408 to another request whose body dribbles past the whole-request limit', async () => {
    const { request, response, closed } = open('/api/v1/adapt', 'application/json')
    dribble(request, JSON.stringify({ html: 'x'.repeat(100) }), 1_000)
    const answer = await response
    expect(answer.statusCode).toBe(408)
    let body = ''
    for await (const chunk of answer) body += String(chunk)
    expect(JSON.parse(body)).toMatchObject({ error: { code: 'request_timeout' } })
    await closed
  })
})
