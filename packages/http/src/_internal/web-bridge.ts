import type { CoreRequest, CoreResponse } from './core'

/** The core's view of a Web Request. */
export class WebCoreRequest implements CoreRequest {
  readonly method: string
  readonly target: string
  readonly remoteAddress: string | null | undefined
  readonly #request: Request
  readonly #headers: Headers

  constructor(request: Request, remoteAddress: string | null | undefined) {
    this.#request = request
    this.#headers = request.headers
    this.method = request.method
    const url = request.url
    const scheme = url.indexOf('://')
    const slash = url.indexOf('/', scheme === -1 ? 0 : scheme + 3)
    this.target = slash === -1 ? '/' : url.slice(slash)
    this.remoteAddress = remoteAddress
  }

  header(name: string): string | null {
    return this.#headers.get(name)
  }

  toRequest(): Request {
    return this.#request
  }
}

export function toWebResponse(response: CoreResponse): Response {
  return new Response(response.body, { status: response.status, headers: response.headers })
}
