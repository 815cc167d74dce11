import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import type { Logger } from 'pino'

interface Asset {
  type: string
  body: Buffer
  gzip: Buffer
  etag: string
}

const TYPES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
}

// The page loads only its own script and style and talks only to this server.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
}

/** Where the built dashboard is: beside the bundle in dist/, or dist/ seen from the sources (tests, tsx). */
function dashboardFolder(): string | undefined {
  for (const candidate of ['./dashboard/', '../../dist/dashboard/']) {
    const folder = fileURLToPath(new URL(candidate, import.meta.url))
    if (existsSync(`${folder}index.html`)) return folder
  }
  return undefined
}

function asset(name: string, body: Buffer): Asset {
  return { type: TYPES[name] ?? 'application/octet-stream', body, gzip: gzipSync(body, { level: 9 }), etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` }
}

/**
 * The dashboard's routes: `/` and `/dashboard` redirect to `/dashboard/`, which serves the page
 * built into dist/dashboard (read once, at start-up; gzip when the browser takes it). The page
 * learns from a meta tag whether the API wants a token. Returns false for other paths.
 */
export function createDashboardRoutes(options: { apiToken: string | null; logger: Logger }): (request: IncomingMessage, response: ServerResponse) => boolean {
  const folder = dashboardFolder()
  const assets = new Map<string, Asset>()
  if (folder === undefined) {
    options.logger.warn('the dashboard is not built (no dist/dashboard): /dashboard/ answers 503; run pnpm build')
  } else {
    for (const name of Object.keys(TYPES)) {
      let body = readFileSync(`${folder}${name}`)
      if (name === 'index.html') {
        const mode = options.apiToken === null ? 'open' : 'token'
        body = Buffer.from(body.toString('utf8').replace('<meta name="pytrack-api" content="open">', `<meta name="pytrack-api" content="${mode}">`))
      }
      assets.set(`/dashboard/${name === 'index.html' ? '' : name}`, asset(name, body))
    }
  }

  const send = (response: ServerResponse, status: number, headers: Record<string, string>, body = ''): void => {
    response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...SECURITY_HEADERS, ...headers })
    response.end(body)
  }

  return (request, response) => {
    const path = (request.url ?? '/').split('?', 1)[0] ?? '/'
    if (path !== '/' && path !== '/dashboard' && !path.startsWith('/dashboard/')) return false
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      send(response, 405, { allow: 'GET, HEAD' }, 'The dashboard answers GET.\n')
      return true
    }
    if (path === '/' || path === '/dashboard') {
      send(response, path === '/' ? 302 : 301, { location: '/dashboard/' })
      return true
    }
    if (folder === undefined) {
      send(response, 503, {}, 'The dashboard is not built: run pnpm build (it writes dist/dashboard).\n')
      return true
    }
    const found = assets.get(path)
    if (found === undefined) {
      send(response, 404, {}, 'No such dashboard file.\n')
      return true
    }
    const headers: Record<string, string> = { 'content-type': found.type, 'cache-control': 'no-cache', etag: found.etag, vary: 'accept-encoding' }
    if (request.headers['if-none-match'] === found.etag) {
      send(response, 304, headers)
      return true
    }
    const gzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))
    const body = gzip ? found.gzip : found.body
    if (gzip) headers['content-encoding'] = 'gzip'
    response.writeHead(200, { ...SECURITY_HEADERS, ...headers, 'content-length': String(body.length) })
    response.end(request.method === 'HEAD' ? undefined : body)
    return true
  }
}
