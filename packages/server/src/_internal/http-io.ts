import { isUtf8 } from 'node:buffer'
import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { ApiError } from '../errors/api-error'

/**
 * How deeply a request's JSON may nest arrays and objects: far past any real metadata, well short
 * of what the code that reads it (Ajv, JSON.stringify, the adapt worker's message) can recurse into.
 */
export const MAX_JSON_DEPTH = 64

/** Whether JSON text nests arrays and objects deeper than `limit` (brackets inside strings do not count). */
function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return false
}

/**
 * Parses one JSON value of a request (a body, a line of a batch) named `what` in the messages;
 * text nested deeper than {@link MAX_JSON_DEPTH} is refused like bad JSON.
 */
export function parseRequestJson(text: string, what: string): unknown {
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
    throw new ApiError(`${what} nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep; flatten it`, { status: 400, reason: 'invalid_json' })
  }
  try {
    return JSON.parse(text)
  } catch {
    throw new ApiError(`${what} is not valid JSON`, { status: 400, reason: 'invalid_json' })
  }
}

/**
 * Refuses a body the API would misread: one sent with a content coding (gzip and the like are
 * not decoded, so a compressed body is never inflated here) or declared in a charset other than
 * UTF-8, the only one JSON has (RFC 8259, 8.1).
 */
export function checkBodyEncoding(request: IncomingMessage): void {
  const coding = (request.headers['content-encoding'] ?? '').trim().toLowerCase()
  if (coding !== '' && coding !== 'identity') {
    throw new ApiError(`the body has Content-Encoding ${coding}, which this API does not decode: send it uncompressed`, { status: 415, reason: 'unsupported_media_type' })
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase()
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new ApiError(`the body is declared as charset=${charset}: send it as UTF-8 (charset=utf-8, or no charset)`, { status: 415, reason: 'unsupported_media_type' })
  }
}

/**
 * The refusal of a request's text (`what`) that is not UTF-8: decoded as it is, such bytes turn
 * into U+FFFD, which would then be sealed into links.
 */
export const notUtf8 = (what: string): ApiError => new ApiError(`${what} is not UTF-8 text`, { status: 400, reason: 'invalid_json' })

function utf8Text(bytes: Buffer): string {
  if (!isUtf8(bytes)) throw notUtf8('the body')
  return bytes.toString('utf8')
}

/**
 * Tells a client that sent `Expect: 100-continue` to send its body. The server answers such a
 * request itself (its checkContinue handler), so this is called only once the request has passed
 * every check made before its body is read: a refused one (401, 413, 415) gets its answer
 * without the 100, and its client never sends the body.
 */
export function continueIfAsked(request: IncomingMessage, response: ServerResponse): void {
  if ((request.headers.expect ?? '').trim().toLowerCase() === '100-continue' && !response.headersSent) response.writeContinue()
}

/**
 * Reads a JSON object body of at most `limit` bytes; refuses other media types, bad JSON and
 * non-objects. `response` gets the 100 Continue a client may ask for, once the headers are taken.
 */
export async function readJsonBody(request: IncomingMessage, response: ServerResponse, limit: number): Promise<Record<string, unknown>> {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/json') {
    throw new ApiError('send the body as JSON with Content-Type: application/json', { status: 415, reason: 'unsupported_media_type' })
  }
  checkBodyEncoding(request)
  const declared = request.headers['content-length']
  if (declared !== undefined && Number(declared) > limit) {
    throw new ApiError(`the body is over the limit of ${limit} bytes for this endpoint`, { status: 413, reason: 'body_too_large' })
  }
  continueIfAsked(request, response)
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of request as AsyncIterable<Buffer>) {
      size += chunk.length
      if (size > limit) throw new ApiError(`the body is over the limit of ${limit} bytes for this endpoint`, { status: 413, reason: 'body_too_large' })
      chunks.push(chunk)
    }
  } catch (error) {
    if (error instanceof ApiError) throw error
    throw new ApiError('the request body was cut off before its end', { status: 400, reason: 'invalid_request', cause: error })
  }
  const body = parseRequestJson(utf8Text(Buffer.concat(chunks)), 'the body')
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError('the body must be a JSON object', { status: 400, reason: 'invalid_request' })
  }
  return body as Record<string, unknown>
}

const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendJsonText(response, status, JSON.stringify(body), headers)
}

/** {@link sendJson} of a body already written as JSON text. */
export function sendJsonText(response: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  if (response.headersSent) {
    response.destroy()
    return
  }
  response.writeHead(status, { ...JSON_HEADERS, 'content-length': Buffer.byteLength(text), ...headers })
  response.end(text)
}

export function sendError(response: ServerResponse, error: ApiError, headers: Record<string, string> = {}): void {
  sendJson(response, error.status, { error: { code: error.reason, message: error.message } }, headers)
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest()
}

/** A bearer token check in constant time (hashing first evens out the lengths). */
export function createTokenCheck(token: string | null): (header: string | undefined) => boolean {
  if (token === null) return () => true
  const expected = digest(token)
  return (header) => {
    const match = header === undefined ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header)
    const given = digest(match?.[1] ?? '')
    return timingSafeEqual(given, expected) && match !== null
  }
}
