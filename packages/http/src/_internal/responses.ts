// The answers the handler gives, made once and frozen: adapters copy them out, never change them.
import { getOpenTrackingPixel, PIXEL_MIME_TYPE } from '@pytrack/core'
import type { CoreResponse } from './core'

const NO_CACHE = 'no-store, no-cache, must-revalidate, private'
const TEXT = 'text/plain; charset=utf-8'
const encoder = new TextEncoder()

function freeze(status: number, headers: Record<string, string>, body: Uint8Array<ArrayBuffer> | null): CoreResponse {
  return Object.freeze({ status, headers: Object.freeze(headers), headerList: Object.freeze(Object.entries(headers).flat()), body })
}

function textResponse(status: number, text: string, extra: Record<string, string> = {}): CoreResponse {
  const body = encoder.encode(`${text}\n`)
  return freeze(status, { 'content-type': TEXT, 'cache-control': NO_CACHE, 'content-length': String(body.length), ...extra }, body)
}

/** The same response for HEAD: the headers (Content-Length included), no body. */
function withoutBody(response: CoreResponse): CoreResponse {
  return freeze(response.status, { ...response.headers }, null)
}

/** A response and its HEAD form. */
export interface Answer {
  readonly get: CoreResponse
  readonly head: CoreResponse
}

function answer(response: CoreResponse): Answer {
  return Object.freeze({ get: response, head: withoutBody(response) })
}

const PIXEL = getOpenTrackingPixel()[0] as Uint8Array<ArrayBuffer>

export const PIXEL_ANSWER: Answer = answer(
  freeze(200, { 'content-type': PIXEL_MIME_TYPE, 'content-length': String(PIXEL.length), 'cache-control': NO_CACHE, pragma: 'no-cache', expires: '0' }, PIXEL),
)
export const NOT_FOUND: Answer = answer(textResponse(404, 'Not Found'))
export const TOO_LONG: Answer = answer(textResponse(414, 'URI Too Long'))
export const NOT_ALLOWED: CoreResponse = textResponse(405, 'Method Not Allowed', { allow: 'GET, HEAD' })
export const INTERNAL_ERROR: CoreResponse = textResponse(500, 'Internal Server Error')
// recordEvent failed: nothing is acknowledged that was not stored, and the client may try again.
export const UNAVAILABLE: Answer = answer(textResponse(503, 'Service Unavailable', { 'retry-after': '1' }))

/** The redirect to an already encoded Location (HEAD gets the same: a 302 has no body). */
export function redirectTo(location: string): CoreResponse {
  return freeze(302, { location, 'cache-control': NO_CACHE, pragma: 'no-cache', expires: '0', 'content-length': '0' }, null)
}
