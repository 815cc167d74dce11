// A real HTTP receiver on 127.0.0.1 (ephemeral port) for the tests: records every request
// and lets each test decide how to answer the n-th one.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createWatch } from '../../../test-utils/wait'

export interface Received {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: Buffer
  /** The client's port: the same for requests on one kept-alive connection. */
  remotePort: number | undefined
  /** performance.now() when the request arrived. */
  at: number
}

export type Answer = (request: Received, response: ServerResponse, index: number, raw: IncomingMessage) => void

export interface Receiver {
  url: string
  origin: string
  requests: Received[]
  /** Requests being handled now, and the most there ever were at once. */
  open: number
  maxOpen: number
  /** Resolves once `n` requests have arrived (whole, before they are answered). */
  arrived(n: number): Promise<void>
  close(): Promise<void>
}

export const ok: Answer = (_request, response) => {
  response.end('ok')
}

export function status(code: number, headers: Record<string, string> = {}): Answer {
  return (_request, response) => {
    response.writeHead(code, headers)
    response.end()
  }
}

/** Answers the first `n` requests with `first`, later ones with `then`. */
export function firstThen(n: number, first: Answer, then: Answer = ok): Answer {
  return (request, response, index, raw) => (index < n ? first : then)(request, response, index, raw)
}

/** Destroys the connection without an answer (a connection reset). */
export const reset: Answer = (_request, _response, _index, raw) => {
  raw.socket.destroy()
}

/** Never answers (until the receiver closes). */
export const hang: Answer = () => {}

export async function startReceiver(answer: Answer = ok, path = '/hook'): Promise<Receiver> {
  const state = { open: 0, maxOpen: 0 }
  const requests: Received[] = []
  const watch = createWatch()
  const server = createServer((raw, response) => {
    const chunks: Buffer[] = []
    raw.on('data', (chunk: Buffer) => chunks.push(chunk))
    raw.on('end', () => {
      const request: Received = {
        method: raw.method ?? '',
        url: raw.url ?? '',
        headers: raw.headers,
        body: Buffer.concat(chunks),
        remotePort: raw.socket.remotePort,
        at: performance.now(),
      }
      const index = requests.push(request) - 1
      state.open++
      state.maxOpen = Math.max(state.maxOpen, state.open)
      response.on('close', () => state.open--)
      answer(request, response, index, raw)
      watch.notify()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const origin = `http://127.0.0.1:${port}`
  return {
    url: `${origin}${path}`,
    origin,
    requests,
    get open() {
      return state.open
    },
    get maxOpen() {
      return state.maxOpen
    },
    arrived: (n) => watch.until(() => requests.length >= n).then(() => undefined),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
