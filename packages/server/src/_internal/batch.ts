// POST /api/v1/adapt/batch: one template, many recipients, both ways as JSON lines. Streaming
// with backpressure both ways: the body is read a small chunk at a time, only when the work
// wants more (the socket is paused meanwhile, so TCP holds the sender back), and the answers
// are written in chunks, waiting for 'drain' whenever the socket's buffer is full, so a client
// that reads slowly holds the reading back instead of filling the server's memory. The work
// gives the event loop back every few milliseconds, so the pixels and redirects stay fast.
import { channel } from 'node:diagnostics_channel'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { StringDecoder } from 'node:string_decoder'
import type { Metadata } from '@pytrack/core'
import { compileHtml, compileText, type AdaptHtmlOptions, type AdaptWarning, type CompiledHtml, type CompiledText } from '@pytrack/html'
import { ApiError } from '../errors/api-error'
import { checkAdaptSize } from './adapt-limit'
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
/** Answers gathered before a write: the socket's buffer holds about this (and one email) at most. */
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

interface Template {
  html: CompiledHtml | null
  text: CompiledText | null
  metadata: Metadata
}

const cutOff = (): ApiError => new ApiError('the request body was cut off before its end', { status: 400, reason: 'invalid_request' })

/** The body's chunks as the work asks for them, read ahead up to {@link BATCH_READ_AHEAD} bytes. */
class BodyReader {
  readonly #request: IncomingMessage
  #queue: Buffer[] = []
  #queued = 0
  #ended = false
  #failure: Error | null = null
  #wake: (() => void) | null = null
  #discarding = false

  constructor(request: IncomingMessage) {
    this.#request = request
    request.on('data', (chunk: Buffer) => {
      if (this.#discarding) return
      this.#queue.push(chunk)
      this.#queued += chunk.length
      if (this.#queued >= BATCH_READ_AHEAD) request.pause()
      this.#notify()
    })
    request.once('end', () => {
      this.#ended = true
      this.#notify()
    })
    request.once('error', (error) => {
      this.#failure ??= error
      this.#notify()
    })
    request.once('close', () => {
      if (!this.#ended) this.#failure ??= cutOff()
      this.#notify()
    })
  }

  /** Bytes read and not yet taken. */
  get queued(): number {
    return this.#queued
  }

  #notify(): void {
    const resolve = this.#wake
    this.#wake = null
    resolve?.()
  }

  /** The next chunk, or null at the end of the body; refused after waiting `ms` for it. */
  async next(ms: number): Promise<Buffer | null> {
    for (;;) {
      const chunk = this.#queue.shift()
      if (chunk !== undefined) {
        this.#queued -= chunk.length
        if (this.#request.isPaused() && this.#queued < BATCH_READ_AHEAD) this.#request.resume()
        return chunk
      }
      if (this.#failure !== null) throw this.#failure
      if (this.#ended) return null
      if (ms <= 0) throw timedOut()
      let timer: NodeJS.Timeout | undefined
      const waited = await new Promise<boolean>((resolve) => {
        this.#wake = () => resolve(true)
        timer = setTimeout(() => resolve(false), ms)
      })
      clearTimeout(timer)
      if (!waited) {
        this.#wake = null
        throw timedOut()
      }
    }
  }

  /**
   * After an error line: the rest of the body is read and thrown away (so the answer reaches
   * a client still sending, where closing would reset the connection), for at most
   * {@link BATCH_LINE_TIMEOUT_MS}; a body that goes on longer loses its connection.
   */
  discard(): void {
    this.#discarding = true
    this.#queue = []
    this.#queued = 0
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

/**
 * The lines of a JSON lines body, a chunk's worth at a time; a line over its limit is refused,
 * and so is a line the client takes more than {@link BATCH_LINE_TIMEOUT_MS} of waiting to send.
 */
async function* lineChunks(body: BodyReader): AsyncGenerator<string[]> {
  const decoder = new StringDecoder('utf8')
  let pending = ''
  let first = true
  let budget = BATCH_LINE_TIMEOUT_MS
  for (;;) {
    const asked = performance.now()
    const chunk = await body.next(budget)
    if (chunk === null) break
    budget -= performance.now() - asked
    pending += decoder.write(chunk)
    const lines: string[] = []
    let start = 0
    for (let end = pending.indexOf('\n'); end !== -1; end = pending.indexOf('\n', start)) {
      if (end - start > lineLimit(first)) break
      lines.push(pending.slice(start, end))
      start = end + 1
      first = false
    }
    pending = pending.slice(start)
    if (lines.length > 0) budget = BATCH_LINE_TIMEOUT_MS
    // Answered first, then refused: the lines before the long one get their answers.
    if (lines.length > 0) yield lines
    const newline = pending.indexOf('\n')
    if ((newline === -1 ? pending.length : newline) > lineLimit(first)) {
      throw new ApiError(`a line of the batch is over the limit of ${lineLimit(first)} characters (${first ? 'the template' : 'a recipient'}); end each line with \\n`, { status: 413, reason: 'body_too_large' })
    }
  }
  pending += decoder.end()
  if (pending.trim() !== '') yield [pending]
}

function parseLine(line: string, what: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    throw new ApiError(`${what} is not valid JSON`, { status: 400, reason: 'invalid_json' })
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ApiError(`${what} must be a JSON object`, { status: 400, reason: 'invalid_request' })
  return value as Record<string, unknown>
}

function compileTemplate(line: string, optionsOf: (body: Record<string, unknown>) => AdaptHtmlOptions): Template {
  const body = parseLine(line, 'the first line (the template)')
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
function renderRecipient(template: Template, line: string, index: number, toApiError: (error: unknown) => ApiError): { line: string; failed: boolean } {
  let id: string | null = null
  try {
    const body = parseLine(line, `recipient ${index}`)
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

/** Resolves when the response can take more, or has closed. */
function drained(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      response.off('drain', done)
      response.off('close', done)
      resolve()
    }
    response.on('drain', done)
    response.on('close', done)
  })
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
  const body = new BodyReader(request)
  let template: Template | null = null
  let index = 0
  let failed = 0
  let out = ''
  let sliceStart = performance.now()
  // Writes what is gathered; while the socket's buffer is full, nothing more is read or made.
  const flush = async (): Promise<void> => {
    if (out === '') return
    const more = response.write(out)
    out = ''
    if (more || response.destroyed) return
    if (batchWaitChannel.hasSubscribers) batchWaitChannel.publish({ recipients: index, buffered: response.writableLength, readAhead: body.queued })
    await drained(response)
  }
  try {
    for await (const lines of lineChunks(body)) {
      for (const line of lines) {
        if (template === null) {
          template = compileTemplate(line, adaptOptions)
          // Sent now: the client learns the template was taken before it sends the recipients.
          response.writeHead(200, STREAM_HEADERS).flushHeaders()
          continue
        }
        if (line.trim() === '') continue
        if (index >= MAX_BATCH_RECIPIENTS) throw new ApiError(`the batch has more than ${MAX_BATCH_RECIPIENTS} recipients, the most one request takes; send it in parts`, { status: 400, reason: 'invalid_request' })
        const answer = renderRecipient(template, line, index++, toApiError)
        if (answer.failed) failed++
        out += answer.line
        if (out.length >= WRITE_CHUNK) await flush()
        if (performance.now() - sliceStart > SLICE_MS) {
          await flush()
          await breathe()
          sliceStart = performance.now()
        }
        if (response.destroyed) return
      }
      // Before reading on: what this chunk's lines made goes out now, not after the next chunk.
      await flush()
      if (response.destroyed) return
    }
  } catch (error) {
    if (!response.headersSent) throw error
    if (response.destroyed) return
    const apiError = toApiError(error)
    response.end(`${out}${JSON.stringify({ error: { code: apiError.reason, message: apiError.message }, count: index })}\n`)
    // A silent client is done with; one still sending gets its answer before the connection goes.
    if (apiError.reason === 'request_timeout') response.once('finish', () => request.socket.destroy())
    else body.discard()
    return
  }
  if (template === null) throw new ApiError('the batch is empty: send the template on the first line, then one recipient a line', { status: 400, reason: 'invalid_request' })
  response.end(`${out}${JSON.stringify({ done: true, count: index, failed })}\n`)
}
