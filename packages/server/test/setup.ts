// Every answer an API test receives is checked against the OpenAPI document: fetch (the one
// client these tests use for the API) is wrapped so a request to /healthz or /api/... on this
// machine throws when its answer's status or body is not what the document says, or when the
// endpoint is not in the document at all.
import { checkAnswer } from '../src/_internal/openapi-validator'

const LOCAL = new Set(['127.0.0.1', 'localhost', '[::1]'])
const plainFetch = globalThis.fetch

/** The answer of a request does not match the OpenAPI document. */
export class OpenApiMismatch extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'OpenApiMismatch'
  }
}

globalThis.fetch = async function checkedFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const response = await plainFetch(input, init)
  const url = new URL(input instanceof Request ? input.url : String(input))
  if (!LOCAL.has(url.hostname) || (url.pathname !== '/healthz' && !url.pathname.startsWith('/api/'))) return response
  const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase()
  const body = await response.clone().text()
  const problem = checkAnswer(method, url.pathname, response.status, response.headers.get('content-type'), body)
  if (problem !== null) throw new OpenApiMismatch(problem)
  return response
}
