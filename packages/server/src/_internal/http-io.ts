import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { ApiError } from '../errors/api-error'

/** Reads a JSON object body of at most `limit` bytes; refuses other media types, bad JSON and non-objects. */
export async function readJsonBody(request: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/json') {
    throw new ApiError('send the body as JSON with Content-Type: application/json', { status: 415, reason: 'unsupported_media_type' })
  }
  const declared = request.headers['content-length']
  if (declared !== undefined && Number(declared) > limit) {
    throw new ApiError(`the body is over the limit of ${limit} bytes for this endpoint`, { status: 413, reason: 'body_too_large' })
  }
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
  let body: unknown
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new ApiError('the body is not valid JSON', { status: 400, reason: 'invalid_json' })
  }
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
