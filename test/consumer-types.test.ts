// A new TypeScript app, type-checked against the packed packages (what npm installs), strict and
// without skipLibCheck, so an error inside a package's own declarations fails here (#12 item 7).
import { beforeAll, describe, expect, inject, test } from 'vitest'
import { consumerApp, workspaceEntries, type ConsumerApp } from '../test-utils/consumer'

// Every public entry point whose types must not need Node's: Uint8Array, Request, Response, URL.
// (@pytrack/nodemailer runs on Node only, but its types are nodemailer's shapes, declared here.)
// (@pytrack/server/store-kit: plain conversions and the store contract's types, for a store on any runtime.)
const WEB_ENTRIES = ['@pytrack/core', '@pytrack/crypto', '@pytrack/html', '@pytrack/http', '@pytrack/http/hono', '@pytrack/nodemailer', '@pytrack/server/store-kit']
// Every other entry is typed with Node's own types (node:http requests and responses, streams,
// undici's dispatcher for webhook): they need @types/node.
const NODE_ENTRIES = workspaceEntries().filter((entry) => !WEB_ENTRIES.includes(entry))
// Each test runs tsc over a new app: seconds each, more on a loaded machine.
const TSC = { timeout: 180_000 }

function importing(entries: readonly string[]): string {
  const names = entries.map((_, index) => `m${index}`)
  return `${entries.map((entry, index) => `import * as ${names[index]} from '${entry}'`).join('\n')}\nexport const all = [${names.join(', ')}]\n`
}

// What a user writes with the Web entries: each package's main calls, with their result types.
const WEB_USE = `import { Configuration, getClickTrackingUrl, getClickTrackingResult, isPytrackError } from '@pytrack/core'
import { Fernet, fernetCodec } from '@pytrack/crypto'
import { adaptHtml, compileHtml } from '@pytrack/html'
import { createTrackingHandler } from '@pytrack/http'

const key = Fernet.generateKey()
const configuration = new Configuration({ baseClickTrackingUrl: 'https://t.example.com/c/', baseOpenTrackingUrl: 'https://t.example.com/o/', codec: fernetCodec(key) })
const link: string = getClickTrackingUrl('https://example.com/', { customer_id: 1 }, { configuration })
const url: string | undefined = getClickTrackingResult(link, { configuration }).trackedUrl ?? undefined
const bytes: Uint8Array = new Fernet(key).decrypt(new Fernet(key).encrypt('x'))
const html: string = adaptHtml('<a href="https://example.com/">x</a>', {}, { configuration }).html
const rendered: string = compileHtml('<a href="https://example.com/">x</a>', { configuration }).render({ id: 1 }).html
const handler: (request: Request) => Promise<Response> = createTrackingHandler({ configuration })
export function decode(path: string): string {
  try {
    return getClickTrackingResult(path, { configuration }).trackedUrl ?? ''
  } catch (error) {
    return isPytrackError(error) ? error.code : 'unknown'
  }
}
export { url, bytes, html, rendered, handler }
`

// The same with the Node entries.
const NODE_USE = `import { createServer } from 'node:http'
import { createNodeHandler } from '@pytrack/http/node'
import { verifyWebhook, type WebhookOutcome } from '@pytrack/webhook'
import { loadSettings, type ServerSettings } from '@pytrack/server'

createServer(createNodeHandler({ configuration: { baseClickTrackingUrl: 'https://t.example.com/c/' } }))
export const settings: ServerSettings = loadSettings({ env: {}, argv: [] })
export const verified: string = verifyWebhook('{}', new Headers(), 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw').webhookId
export type Outcome = WebhookOutcome
`

// Each package adds its codes to core's PytrackErrorCodes by declaration merging, in its own
// declarations: the guard narrows to the class once the package is imported.
const NARROWING = `import { isPytrackError, type LinkTooLongError } from '@pytrack/core'
import type { LinkExpiredError } from '@pytrack/crypto'
import type { RedirectRefusedError, RedirectRefusalReason } from '@pytrack/http'

export function describe(error: unknown): string {
  if (isPytrackError(error, 'ERR_PYTRACK_LINK_TOO_LONG')) {
    const narrowed: LinkTooLongError = error
    return String(narrowed.maxLength)
  }
  if (isPytrackError(error, 'ERR_PYTRACK_LINK_EXPIRED')) {
    const narrowed: LinkExpiredError = error
    return String(narrowed.maxAgeSeconds)
  }
  if (isPytrackError(error, 'ERR_PYTRACK_REDIRECT_REFUSED')) {
    const narrowed: RedirectRefusedError = error
    const reason: RedirectRefusalReason = narrowed.reason
    return reason
  }
  return 'other'
}
`

let web: ConsumerApp
let node: ConsumerApp

beforeAll(() => {
  const tarballs = new Map(inject('packedTarballs'))
  web = consumerApp(tarballs)
  node = consumerApp(tarballs, { packages: ['@types/node', '@types/express'] })
}, 120_000)

describe('a new TypeScript app on the packed packages (strict, skipLibCheck false)', () => {
  test('has no Node types unless it installs them (the check below can fail)', TSC, () => {
    expect(web.typeErrors({ 'probe.ts': 'export const bytes: Buffer | undefined = undefined\n' }, [])).toEqual([
      expect.stringContaining("Cannot find name 'Buffer'"),
    ])
  })

  test('core, crypto, html, the Web handler, the Hono adapter and the nodemailer plugin type-check without @types/node', TSC, () => {
    expect(web.typeErrors({ 'entries.ts': importing(WEB_ENTRIES), 'use.ts': WEB_USE }, [])).toEqual([])
  })

  test('every other entry (the node, Express, Fastify and Koa adapters, webhook, the server...) needs @types/node, as the READMEs say', TSC, () => {
    expect(NODE_ENTRIES).toContain('@pytrack/http/koa')
    for (const entry of NODE_ENTRIES) {
      const errors = web.typeErrors({ [`needs-node-${entry.replaceAll('/', '-')}.ts`]: importing([entry]) }, [])
      expect(errors.join('\n'), entry).toMatch(/node:|'Buffer'|NodeJS|@types\/node/)
    }
  })

  test('isPytrackError narrows to the class of the codes of each imported package, and knows only those', TSC, () => {
    expect(web.typeErrors({ 'narrowing.ts': NARROWING }, [])).toEqual([])
    const coreOnly = "import { isPytrackError } from '@pytrack/core'\nexport const expired = (error: unknown): boolean => isPytrackError(error, 'ERR_PYTRACK_LINK_EXPIRED')\n"
    expect(web.typeErrors({ 'core-only.ts': coreOnly }, [])).toEqual([expect.stringContaining('ERR_PYTRACK_LINK_EXPIRED')])
  })

  test('every entry type-checks with @types/node', TSC, () => {
    expect(node.typeErrors({ 'entries.ts': importing([...WEB_ENTRIES, ...NODE_ENTRIES]), 'use.ts': WEB_USE, 'node-use.ts': NODE_USE }, ['node'])).toEqual([])
  })
})
