// POST /api/v1/adapt/batch: one template, many recipients, both ways as JSON lines. The request
// is read a chunk at a time and each answer line written as soon as it is made (with the
// socket's backpressure), so a batch of any size holds one chunk of it in memory; the work
// gives the event loop back every few milliseconds, so the pixels and redirects stay fast.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { StringDecoder } from 'node:string_decoder'
import type { Metadata } from '@pytrack/core'
import { compileHtml, compileText, type AdaptHtmlOptions, type AdaptWarning, type CompiledHtml, type CompiledText } from '@pytrack/html'
import { ApiError } from '../errors/api-error'
import { checkAdaptSize } from './adapt-limit'
import { checkSchema } from './openapi-validator'

/** The template line may be as large as an adapt request; a recipient's line is small. */
export const BATCH_TEMPLATE_LIMIT: number = 1024 * 1024
export const BATCH_RECIPIENT_LIMIT: number = 64 * 1024
/** The most recipients one request takes (a campaign larger than this is sent in parts). */
export const MAX_BATCH_RECIPIENTS = 1_000_000
/**
 * The body read ahead of the work, at most: a batch's recipient lines (about 60 bytes each) are
 * taken as fast as the client sends them up to this, so its upload is not held back by the
 * answer (which is 20 to 30 times larger) and ends within the server's request timeout (10 s);
 * past it the socket is paused until the work catches up.
 */
export const BATCH_READ_AHEAD: number = 8 * 1024 * 1024
/** Work at most this long before giving the event loop back. */
const SLICE_MS = 4

const STREAM_HEADERS = {
  'content-type': 'application/x-ndjson; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
}

interface Template {
  html: CompiledHtml | null
  text: CompiledText | null
  metadata: Metadata
}

/** The body's chunks, read ahead up to {@link BATCH_READ_AHEAD} bytes. */
async function* readAhead(request: IncomingMessage): AsyncGenerator<Buffer> {
  const queue: Buffer[] = []
  let queued = 0
  let ended = false
  let failure: Error | null = null
  let wake: (() => void) | null = null
  const notify = (): void => {
    const resolve = wake
    wake = null
    resolve?.()
  }
  request.on('data', (chunk: Buffer) => {
    queue.push(chunk)
    queued += chunk.length
    if (queued > BATCH_READ_AHEAD) request.pause()
    notify()
  })
  request.once('end', () => {
    ended = true
    notify()
  })
  request.once('error', (error) => {
    failure = error
    notify()
  })
  request.once('close', () => {
    if (!ended) failure ??= new ApiError('the request body was cut off before its end', { status: 400, reason: 'invalid_request' })
    notify()
  })
  for (;;) {
    const chunk = queue.shift()
    if (chunk !== undefined) {
      queued -= chunk.length
      if (request.isPaused() && queued <= BATCH_READ_AHEAD) request.resume()
      yield chunk
      continue
    }
    if (failure !== null) throw failure
    if (ended) return
    await new Promise<void>((resolve) => (wake = resolve))
  }
}

const lineLimit = (first: boolean): number => (first ? BATCH_TEMPLATE_LIMIT : BATCH_RECIPIENT_LIMIT)

/** The lines of a JSON lines body, a chunk's worth at a time; a line over its limit is refused. */
async function* lineChunks(request: IncomingMessage): AsyncGenerator<string[]> {
  const decoder = new StringDecoder('utf8')
  let pending = ''
  let first = true
  for await (const chunk of readAhead(request)) {
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
 * is a line: `{"index", "id", "error"}` for a recipient, `{"error"}` for the batch (then it
 * ends). The last line of a batch that went through is `{"done": true, ...}`.
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
  const chunks = lineChunks(request)
  let template: Template | null = null
  let index = 0
  let failed = 0
  let sliceStart = performance.now()
  try {
    for await (const lines of chunks) {
      let out = ''
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
        if (performance.now() - sliceStart > SLICE_MS) {
          if (out !== '' && !response.write(out)) await drained(response)
          out = ''
          await breathe()
          sliceStart = performance.now()
          if (response.destroyed) return
        }
      }
      if (out !== '' && !response.write(out)) await drained(response)
      if (response.destroyed) return
    }
  } catch (error) {
    if (!response.headersSent) throw error
    const apiError = toApiError(error)
    response.end(`${JSON.stringify({ error: { code: apiError.reason, message: apiError.message }, count: index })}\n`)
    request.destroy()
    return
  } finally {
    // A client that went away: stop reading its body.
    if (response.destroyed) void chunks.return(undefined)
  }
  if (template === null) throw new ApiError('the batch is empty: send the template on the first line, then one recipient a line', { status: 400, reason: 'invalid_request' })
  response.end(`${JSON.stringify({ done: true, count: index, failed })}\n`)
}
