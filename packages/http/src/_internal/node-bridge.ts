// Conversions between node:http messages and the core or Web Request/Response.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import type { CoreRequest, CoreResponse } from './core'

/** The core's view of a node request, with no copying of headers. */
export class NodeCoreRequest implements CoreRequest {
  readonly method: string
  readonly target: string
  readonly remoteAddress: string | null | undefined
  readonly #req: IncomingMessage
  readonly #headers: IncomingMessage['headers']

  constructor(req: IncomingMessage, target: string, remoteAddress: string | null | undefined) {
    this.#req = req
    this.#headers = req.headers
    this.method = req.method ?? 'GET'
    this.target = target
    this.remoteAddress = remoteAddress
  }

  header(name: string): string | null {
    const value = this.#headers[name]
    return value === undefined ? null : typeof value === 'string' ? value : value.join(', ')
  }

  toRequest(): Request {
    return lazyWebRequest(this.#req, this.target)
  }
}

export function writeCoreResponse(res: ServerResponse, response: CoreResponse): void {
  res.writeHead(response.status, response.headerList as string[])
  if (response.body === null) res.end()
  else res.end(response.body)
}

/**
 * A Web Request for a node request. The body is attached only when asked (the tracking
 * routes never read it). Never throws: unusable Host headers fall back to localhost.
 */
export function toWebRequest(req: IncomingMessage, target: string, withBody: boolean): Request {
  const encrypted = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true
  const base = `${encrypted ? 'https' : 'http'}://`
  let url: URL
  try {
    url = new URL(target, base + (req.headers.host ?? 'localhost'))
  } catch {
    try {
      url = new URL(target, `${base}localhost`)
    } catch {
      url = new URL('/', `${base}localhost`)
    }
  }
  const headers = new Headers()
  const raw = req.rawHeaders
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      headers.append(raw[i] as string, raw[i + 1] as string)
    } catch {
      // A header undici refuses (it is stricter than node's parser): leave it out.
    }
  }
  const method = req.method ?? 'GET'
  const init: RequestInit & { duplex?: 'half' } = { method, headers }
  if (withBody && method !== 'GET' && method !== 'HEAD') {
    init.body = Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>
    init.duplex = 'half'
  }
  return new Request(url, init)
}

/** Copies a Web Response to a node response, streaming its body. */
export async function writeWebResponse(res: ServerResponse, response: Response, isHead: boolean): Promise<void> {
  const headers: Record<string, string | string[]> = {}
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value
  })
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) headers['set-cookie'] = cookies
  res.writeHead(response.status, headers)
  if (!response.body || isHead) {
    res.end()
    return
  }
  const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>)
  await new Promise<void>((resolve) => {
    body.on('error', () => {
      res.destroy()
      resolve()
    })
    res.on('close', resolve)
    body.pipe(res)
  })
}

interface LazySlot {
  req: IncomingMessage
  target: string
  real: Request | undefined
}

const SLOT = Symbol('lazy request')

function load(stub: object): Request {
  const slot = (stub as { [SLOT]: LazySlot })[SLOT]
  return (slot.real ??= toWebRequest(slot.req, slot.target, false))
}

// One handler for every stand-in: each hit costs an object and a Proxy, nothing more.
const LAZY_HANDLER: ProxyHandler<object> = {
  get(stub, key) {
    const request = load(stub)
    const value = Reflect.get(request, key, request) as unknown
    return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(request) : value
  },
  has: (stub, key) => Reflect.has(load(stub), key),
  getPrototypeOf: () => Request.prototype,
}

/**
 * A stand-in for the Web Request of a node request, built on first use: hooks that never
 * look at the request cost nothing (building one takes longer than serving the hit). It is
 * `instanceof Request` and forwards every property; APIs that check the real brand
 * (`fetch(request)`, `new Request(request)`) need `request.clone()`, which returns a real one.
 */
function lazyWebRequest(req: IncomingMessage, target: string): Request {
  const slot: LazySlot = { req, target, real: undefined }
  return new Proxy({ [SLOT]: slot }, LAZY_HANDLER) as Request
}
