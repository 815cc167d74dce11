// The whole-request time limit, per request instead of node:http's requestTimeout (which the
// server turns off), so that one route, the batch endpoint, can stream for longer under its
// own per-line limit. The headers' limit (headersTimeout) and the idle limit (no byte either
// way for 10 s) still hold for every connection.
import type { IncomingMessage, ServerResponse } from 'node:http'

/** A request's body must have arrived this long after its headers. */
export const REQUEST_TIMEOUT_MS = 10_000

const MESSAGE = JSON.stringify({ error: { code: 'request_timeout', message: `the request body did not arrive within ${REQUEST_TIMEOUT_MS / 1000} s of its headers; send it whole, faster` } })
const ANSWER = `HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(MESSAGE)}\r\n\r\n${MESSAGE}`

/**
 * Cuts the connection of a request whose body has not all arrived {@link REQUEST_TIMEOUT_MS}
 * after its headers, with a 408 when no answer was started (as node:http's requestTimeout does).
 * Requests without a body (the pixels and redirects) cost nothing.
 */
export function limitRequestTime(request: IncomingMessage, response: ServerResponse): void {
  const length = request.headers['content-length']
  if ((length === undefined || length === '0') && request.headers['transfer-encoding'] === undefined) return
  const timer = setTimeout(() => {
    const socket = request.socket
    if (socket.writable && !response.headersSent) socket.write(ANSWER)
    socket.destroy()
  }, REQUEST_TIMEOUT_MS)
  timer.unref()
  const stop = (): void => clearTimeout(timer)
  request.once('end', stop)
  request.once('close', stop)
}
