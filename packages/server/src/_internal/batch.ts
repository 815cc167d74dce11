// POST /api/v1/adapt/batch: one template, many recipients, both ways as JSON lines. Streaming
// with backpressure both ways: the body is read into one buffer, only as far ahead as the work
// wants (the socket is paused meanwhile, so TCP holds the sender back), and the answers are
// written from two buffers in turn, each filled again only once the socket has taken it, so a
// client that reads slowly holds the reading back instead of filling the server's memory. The
// buffers are reused for the whole batch: nothing of it outlives the young generation, so
// memory stays flat however many recipients there are. The work gives the event loop back
// every few milliseconds, so the pixels and redirects stay fast.
import { isUtf8 } from 'node:buffer'
import { channel } from 'node:diagnostics_channel'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Metadata } from '@pytrack/core'
import { compileHtml, compileText, type AdaptHtmlOptions, type AdaptWarning, type CompiledHtml, type CompiledText } from '@pytrack/html'
import { ApiError } from '../errors/api-error'
import { checkAdaptSize } from './adapt-limit'
import { checkBodyEncoding, continueIfAsked, notUtf8, parseRequestJson } from './http-io'
import { checkSchema } from './openapi-validator'

/** The path of the batch endpoint: the one route without the whole-request time limit. */
export const BATCH_PATH = '/api/v1/adapt/batch'
/** The template line may be as large as an adapt request; a recipient's line is small. */
export const BATCH_TEMPLATE_LIMIT: number = 1024 * 1024
export const BATCH_RECIPIENT_LIMIT: number = 64 * 1024
/** The most recipients one request takes (a campaign larger than this is sent in parts). */
export const MAX_BATCH_RECIPIENTS = 1_000_000
/**
 * The body read ahead of the work, at most (beyond it the request stream's own 16 KiB and the
 * kernel's socket buffer): past it the socket is paused until the work catches up.
 */
export const BATCH_READ_AHEAD: number = 64 * 1024
/**
 * A batch has no time limit as a whole (100,000 recipients take longer than the other routes'
 * 10 s), but each line has: the server waits at most this long, in all, for the client to
 * send the rest of the line it is reading (time spent waiting for the client to read the
 * answer does not count). A peer that sends nothing, or dribbles a line, is cut off with an
 * error line; shorter than the 10 s idle limit, so that line is sent before the idle limit
 * would close the connection.
 */
export const BATCH_LINE_TIMEOUT_MS = 8_000
/** The size of each of the two answer buffers: the socket's queue holds two of them at most. */
const WRITE_CHUNK = 64 * 1024
/** Work at most this long before giving the event loop back. */
const SLICE_MS = 4

/**
 * Published each time the batch waits for the client to read its answer (the socket's buffer
 * full): `{ recipients, buffered, readAhead }`. Free when nobody listens; the tests listen.
 */
export const batchWaitChannel: ReturnType<typeof channel> = channel('pytrack:server:batch-wait')

const STREAM_HEADERS = {
  'content-type': 'application/x-ndjson; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
}

/** Whether a request is for the batch endpoint (which keeps its own time limits). */
export function isBatchRequest(request: IncomingMessage): boolean {
  return request.method === 'POST' && (request.url ?? '').split('?', 1)[0] === BATCH_PATH
}

/** Sockets a batch is streaming its answer on, until that answer closes. */
const streaming = new WeakSet<object>()

/**
 * Whether a batch is streaming its answer on `socket`: an HTTP error there (a broken chunk)
 * cannot be answered with a status line of its own, which would land inside that answer.
 */
export function isStreamingBatch(socket: object): boolean {
  return streaming.has(socket)
}

interface Template {
  html: CompiledHtml | null
  text: CompiledText | null
  metadata: Metadata
}

const cutOff = (cause?: unknown): ApiError => new ApiError('the request body was cut off before its end', { status: 400, reason: 'invalid_request', cause })

/** The reader's buffer: the read-ahead and the socket's next chunk (64 KiB at most) fit in it. */
const BODY_BUFFER = 2 * BATCH_READ_AHEAD

const tooLong = (limit: number, first: boolean): ApiError =>
  new ApiError(`a line of the batch is over the limit of ${limit} bytes (${first ? 'the template' : 'a recipient'}); end each line with \\n`, { status: 413, reason: 'body_too_large' })

/**
 * The body's lines as the work asks for them. The bytes are copied as they arrive into the
 * reader's own buffer, reused for the whole batch, and a line is decoded only when taken: the
 * socket's chunks and the lines die young, so nothing of the body, however long the batch,
 * reaches V8's old generation (decoded a chunk at a time, each chunk's text lived through the
 * young collections while its 600 recipients were answered, and piled up there). At most
 * {@link BATCH_READ_AHEAD} bytes are read ahead; past it the socket is paused until the work
 * catches up, so TCP holds the sender back.
 */
class BodyReader {
  readonly #request: IncomingMessage
  #bytes: Buffer = Buffer.allocUnsafeSlow(BODY_BUFFER)
  #start = 0
  #end = 0
  /** Where to go on looking for the end of the line: the bytes before it hold no \n. */
  #scanned = 0
  #ended = false
  #failure: Error | null = null
  #wake: (() => void) | null = null
  #discarding = false
  #lineIsUtf8 = true

  constructor(request: IncomingMessage) {
    this.#request = request
    request.on('data', (chunk: Buffer) => {
      if (this.#discarding) return
      this.#append(chunk)
      if (this.queued >= BATCH_READ_AHEAD) request.pause()
      this.#notify()
    })
    request.once('end', () => {
      this.#ended = true
      this.#notify()
    })
    // A client that went away (or sent a broken chunk) is a cut-off body, not a server failure.
    request.once('error', (error) => {
      this.#failure ??= cutOff(error)
      this.#notify()
    })
    request.once('close', () => {
      if (!this.#ended) this.#failure ??= cutOff()
      this.#notify()
    })
  }

  /** Whether the last line taken was UTF-8 (else it was decoded with U+FFFD in place of the bad bytes). */
  get lineIsUtf8(): boolean {
    return this.#lineIsUtf8
  }

  /** Bytes read and not yet taken. */
  get queued(): number {
    return this.#end - this.#start
  }

  #notify(): void {
    const resolve = this.#wake
    this.#wake = null
    resolve?.()
  }

  #append(chunk: Buffer): void {
    if (this.#end + chunk.length > this.#bytes.length) {
      // The unread bytes move to the front; into a larger buffer only for a line longer than
      // it (the template's, up to its limit), and back into one of the usual size after it.
      const queued = this.queued
      let size = BODY_BUFFER
      while (size < queued + chunk.length) size *= 2
      const target = size === this.#bytes.length ? this.#bytes : Buffer.allocUnsafeSlow(size)
      this.#bytes.copy(target, 0, this.#start, this.#end)
      this.#scanned -= this.#start
      this.#bytes = target
      this.#start = 0
      this.#end = queued
    }
    chunk.copy(this.#bytes, this.#end)
    this.#end += chunk.length
  }

  #take(end: number, next: number): string {
    this.#lineIsUtf8 = isUtf8(this.#bytes.subarray(this.#start, end))
    const line = this.#bytes.toString('utf8', this.#start, end)
    this.#start = this.#scanned = next
    if (this.#request.isPaused() && !this.#discarding && this.queued < BATCH_READ_AHEAD) this.#request.resume()
    return line
  }

  /**
   * The next line (without its \n; \n is never inside a UTF-8 character, so a line decodes on
   * its own), null at the end of the body, undefined when the rest of it has not arrived: then
   * {@link more}. A line over `limit` bytes is refused, and so is a body cut off.
   */
  takeLine(limit: number, first: boolean): string | null | undefined {
    const found = this.#bytes.indexOf(10, this.#scanned)
    if (found !== -1 && found < this.#end) {
      if (found - this.#start > limit) throw tooLong(limit, first)
      return this.#take(found, found + 1)
    }
    this.#scanned = this.#end
    if (this.queued > limit) throw tooLong(limit, first)
    if (this.#failure !== null) throw this.#failure
    if (!this.#ended) {
      // A line longer than the read-ahead (the template's) is read on to its end or its limit.
      if (this.#request.isPaused() && !this.#discarding) this.#request.resume()
      return undefined
    }
    const last = this.#take(this.#end, this.#end)
    return last.trim() === '' ? null : last
  }

  /** Resolves when more of the body has arrived (or it ended or failed); refused after waiting `ms`. */
  async more(ms: number): Promise<void> {
    // Arrived meanwhile (while the answers were written), since takeLine looked.
    if (this.#end > this.#scanned || this.#ended || this.#failure !== null) return
    if (ms <= 0) throw timedOut()
    let timer: NodeJS.Timeout | undefined
    const arrived = await new Promise<boolean>((resolve) => {
      this.#wake = () => resolve(true)
      timer = setTimeout(() => resolve(false), ms)
    })
    clearTimeout(timer)
    if (!arrived) {
      this.#wake = null
      throw timedOut()
    }
  }

  /**
   * After an error line: the rest of the body is read and thrown away (so the answer reaches
   * a client still sending, where closing would reset the connection), for at most
   * {@link BATCH_LINE_TIMEOUT_MS}; a body that goes on longer loses its connection.
   */
  discard(): void {
    this.#discarding = true
    this.#start = this.#end = this.#scanned = 0
    const request = this.#request
    if (this.#ended || request.destroyed) return
    const timer = setTimeout(() => request.socket.destroy(), BATCH_LINE_TIMEOUT_MS).unref()
    request.once('close', () => clearTimeout(timer))
    request.once('end', () => clearTimeout(timer))
    request.resume()
  }
}

const timedOut = (): ApiError =>
  new ApiError(`no complete line of the batch arrived within ${BATCH_LINE_TIMEOUT_MS / 1000} s of the server asking for it; send each line whole, ending with \\n`, {
    status: 408,
    reason: 'request_timeout',
  })

const lineLimit = (first: boolean): number => (first ? BATCH_TEMPLATE_LIMIT : BATCH_RECIPIENT_LIMIT)

function parseLine(line: string, utf8: boolean, what: string): Record<string, unknown> {
  if (!utf8) throw notUtf8(what)
  const value = parseRequestJson(line, what)
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ApiError(`${what} must be a JSON object`, { status: 400, reason: 'invalid_request' })
  return value as Record<string, unknown>
}

function compileTemplate(line: string, utf8: boolean, optionsOf: (body: Record<string, unknown>) => AdaptHtmlOptions): Template {
  const body = parseLine(line, utf8, 'the first line (the template)')
  const problem = checkSchema('BatchTemplate', body, 'the template')
  if (problem !== null) throw new ApiError(`the template: ${problem}`, { status: 400, reason: 'invalid_request' })
  const options = optionsOf(body)
  const html = typeof body.html === 'string' ? body.html : null
  const text = typeof body.text === 'string' ? body.text : null
  if (html !== null) checkAdaptSize(html, 'html')
  if (text !== null) checkAdaptSize(text, 'text')
  return {
    html: html === null ? null : compileHtml(html, options),
    text: text === null ? null : compileText(text, options),
    metadata: (body.metadata ?? {}) as Metadata,
  }
}

const publicWarnings = (warnings: readonly AdaptWarning[]): { code: string; message: string }[] => warnings.map(({ code, message }) => ({ code, message }))

/** One recipient's answer line (with its \n), or its error line (failed). */
function renderRecipient(template: Template, line: string, utf8: boolean, index: number, toApiError: (error: unknown) => ApiError): { line: string; failed: boolean } {
  let id: string | null = null
  try {
    const body = parseLine(line, utf8, `recipient ${index}`)
    if (typeof body.id === 'string') id = body.id
    const problem = checkSchema('BatchRecipient', body, `recipient ${index}`)
    if (problem !== null) throw new ApiError(`recipient ${index}: ${problem}`, { status: 400, reason: 'invalid_request' })
    const metadata = { ...template.metadata, ...(body.metadata as Metadata | undefined) }
    const html = template.html?.render(metadata) ?? null
    const text = template.text?.render(metadata) ?? null
    const answer = JSON.stringify({
      index,
      id,
      html: html?.html ?? null,
      text: text?.text ?? null,
      pixelUrl: html?.pixel?.url ?? null,
      warnings: publicWarnings([...(html?.warnings ?? []), ...(text?.warnings ?? [])]),
    })
    return { line: `${answer}\n`, failed: false }
  } catch (error) {
    const apiError = toApiError(error)
    return { line: `${JSON.stringify({ index, id, error: { code: apiError.reason, message: apiError.message } })}\n`, failed: true }
  }
}

/**
 * The answer lines, copied into two buffers of {@link WRITE_CHUNK} bytes in turn and written
 * from them: a buffer is filled again only once the socket has taken what was written from it,
 * so while a client is slow to read the server waits, holding these two buffers and nothing
 * else. (Written as strings, the lines waiting in the socket's queue lived through young
 * collections and filled the old generation: the peak RSS grew with the batch's size.)
 */
class AnswerWriter {
  readonly #response: ServerResponse
  readonly #free: Buffer[] = [Buffer.allocUnsafeSlow(WRITE_CHUNK), Buffer.allocUnsafeSlow(WRITE_CHUNK)]
  #current: Buffer
  #used = 0
  #wake: (() => void) | null = null

  constructor(response: ServerResponse) {
    this.#response = response
    this.#current = this.#free.pop()!
    response.once('close', () => this.#notify())
  }

  #notify(): void {
    const resolve = this.#wake
    this.#wake = null
    resolve?.()
  }

  /** Adds a line (with its \n); writes the buffer first when the line does not fit in what is left of it. */
  async add(line: string, waiting: () => void): Promise<void> {
    const room = this.#current.length - this.#used
    if (line.length * 3 > room) {
      const bytes = Buffer.byteLength(line)
      if (bytes > room) {
        await this.flush(waiting)
        // A line larger than a buffer (a large template's answer): this buffer is replaced by one that holds it.
        if (bytes > this.#current.length) this.#current = Buffer.allocUnsafeSlow(Math.ceil(bytes / WRITE_CHUNK) * WRITE_CHUNK)
      }
    }
    this.#used += this.#current.write(line, this.#used)
  }

  /** Writes what is gathered; resolves once a buffer is free to fill (or the response has closed). */
  async flush(waiting: () => void): Promise<void> {
    if (this.#used === 0) return
    const buffer = this.#current
    const response = this.#response
    response.write(buffer.subarray(0, this.#used), () => {
      this.#free.push(buffer)
      this.#notify()
    })
    this.#used = 0
    while (this.#free.length === 0 && !response.destroyed) {
      waiting()
      await new Promise<void>((resolve) => (this.#wake = resolve))
    }
    // Closed with both buffers still in the socket's queue: nothing more is written anyway.
    this.#current = this.#free.pop() ?? buffer
  }
}

const breathe = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/**
 * Answers a batch request. Errors before the first recipient (the content type, the template)
 * are thrown, for the API's usual error answer; after that the answer is 200 and each problem
 * is a line: `{"index", "id", "error"}` for a recipient, `{"error", "count"}` for the batch (then
 * it ends). The last line of a batch that went through is `{"done": true, ...}`.
 */
export async function serveBatch(
  request: IncomingMessage,
  response: ServerResponse,
  adaptOptions: (body: Record<string, unknown>) => AdaptHtmlOptions,
  toApiError: (error: unknown) => ApiError,
): Promise<void> {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/x-ndjson' && type !== 'application/jsonl') {
    throw new ApiError('send the batch as JSON lines with Content-Type: application/x-ndjson: the template on the first line, one recipient a line', { status: 415, reason: 'unsupported_media_type' })
  }
  checkBodyEncoding(request)
  continueIfAsked(request, response)
  const body = new BodyReader(request)
  let template: Template | null = null
  let index = 0
  let failed = 0
  const writer = new AnswerWriter(response)
  let sliceStart = performance.now()
  const waiting = (): void => {
    if (batchWaitChannel.hasSubscribers) batchWaitChannel.publish({ recipients: index, buffered: response.writableLength, readAhead: body.queued })
  }
  // The time the client has had, waiting, to send the line being read (see BATCH_LINE_TIMEOUT_MS).
  let budget = BATCH_LINE_TIMEOUT_MS
  try {
    for (;;) {
      const line = body.takeLine(lineLimit(template === null), template === null)
      if (line === undefined) {
        // Before waiting for more of the body: what is made goes out now, not after it.
        await writer.flush(waiting)
        if (response.destroyed) return
        const asked = performance.now()
        await body.more(budget)
        budget -= performance.now() - asked
        continue
      }
      budget = BATCH_LINE_TIMEOUT_MS
      if (line === null) break
      if (template === null) {
        template = compileTemplate(line, body.lineIsUtf8, adaptOptions)
        // Sent now: the client learns the template was taken before it sends the recipients.
        response.writeHead(200, STREAM_HEADERS).flushHeaders()
        const socket = request.socket
        streaming.add(socket)
        response.once('close', () => streaming.delete(socket))
        continue
      }
      if (line.trim() === '') continue
      if (index >= MAX_BATCH_RECIPIENTS) throw new ApiError(`the batch has more than ${MAX_BATCH_RECIPIENTS} recipients, the most one request takes; send it in parts`, { status: 400, reason: 'invalid_request' })
      const answer = renderRecipient(template, line, body.lineIsUtf8, index++, toApiError)
      if (answer.failed) failed++
      await writer.add(answer.line, waiting)
      if (performance.now() - sliceStart > SLICE_MS) {
        await writer.flush(waiting)
        await breathe()
        sliceStart = performance.now()
      }
      if (response.destroyed) return
    }
  } catch (error) {
    if (!response.headersSent) throw error
    if (response.destroyed) return
    const apiError = toApiError(error)
    await writer.flush(waiting)
    if (response.destroyed) return
    response.end(`${JSON.stringify({ error: { code: apiError.reason, message: apiError.message }, count: index })}\n`)
    // A silent client is done with; one still sending gets its answer before the connection goes.
    if (apiError.reason === 'request_timeout') response.once('finish', () => request.socket.destroy())
    else body.discard()
    return
  }
  if (template === null) throw new ApiError('the batch is empty: send the template on the first line, then one recipient a line', { status: 400, reason: 'invalid_request' })
  await writer.flush(waiting)
  if (response.destroyed) return
  response.end(`${JSON.stringify({ done: true, count: index, failed })}\n`)
}
