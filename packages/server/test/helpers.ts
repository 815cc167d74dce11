// Helpers shared by this package's tests: a real server on an ephemeral port, in a temp folder.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadSettings, type ServerSettings } from '../src/settings'
import { startServer, type RunningServer, type StartServerOptions } from '../src/server'
import type { EventStore } from '../src/store/event-store'

export const TOKEN = 'test-token-0123456789abcdef'
export const BROWSER = {
  'user-agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15',
  accept: 'image/avif,image/webp,*/*',
  'accept-language': 'en-GB,en;q=0.9',
}

export function tempDir(prefix = 'pytrack-server-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix))
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}

export interface TestServer {
  server: RunningServer
  dataDir: string
  /** A link made by the server, pointed at where it really listens. */
  local: (link: string) => string
  api: (path: string, init?: RequestInit & { json?: unknown }) => Promise<Response>
  stop: () => Promise<void>
}

export async function startTestServer(
  overrides: Partial<ServerSettings> = {},
  dataDir?: string,
  options: StartServerOptions = {},
): Promise<TestServer> {
  const dir = dataDir === undefined ? tempDir() : undefined
  const settings = loadSettings({
    env: {},
    overrides: { port: 0, dataDir: dataDir ?? join(dir?.path ?? '', 'data'), logLevel: 'silent', apiToken: TOKEN, ...overrides },
  })
  // Verdicts off unless a test asks: the other tests hit links milliseconds after making them,
  // which the verdicts rightly call machine traffic (too soon after sending). verdicts.test.ts
  // and the bench turn them on.
  const server = await startServer(settings, { verdicts: false, ...options })
  const api = (path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> => {
    const headers = new Headers(init.headers)
    if (!headers.has('authorization')) headers.set('authorization', `Bearer ${TOKEN}`)
    let body = init.body
    if (init.json !== undefined) {
      headers.set('content-type', 'application/json')
      body = JSON.stringify(init.json)
    }
    return fetch(server.url + path, { ...init, headers, body: body ?? null })
  }
  return {
    server,
    dataDir: settings.dataDir,
    local: (link) => server.url + new URL(link).pathname,
    api,
    stop: async () => {
      await server.close()
      dir?.remove()
    },
  }
}

/** `inner` with some methods replaced (a slow or failing store); the others run on `inner` itself. */
export function wrapStore(inner: EventStore, replaced: Partial<EventStore>): EventStore {
  return new Proxy(inner, {
    get(target, key) {
      if (Object.hasOwn(replaced, key)) return replaced[key as keyof EventStore]
      const value = Reflect.get(target, key, target) as unknown
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  })
}
