// Every TypeScript code block of every README, as a reader copies it into a new app: type-checked
// (strict) against the packed packages, and the ones that run by themselves executed with Node
// in that app (#12 item 10). A new block is checked without asking: one that uses a name it does
// not define fails here until it defines it or gets a prelude below, which says why it has one.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { transformSync } from 'esbuild'
import { afterEach, beforeAll, describe, expect, inject, test } from 'vitest'
import { Configuration, getClickTrackingResult, getClickTrackingUrl } from '@pytrack/core'
import { generateWebhookSecret, sendWebhook } from '@pytrack/webhook'
import { consumerApp, type ConsumerApp } from '../test-utils/consumer'
import { freePort } from '../test-utils/ports'
import { codeBlocks } from '../test-utils/readme'
import { repoRoot } from '../test-utils/vectors'

/** How one block is checked; blocks are found by a piece of their text. */
interface BlockRule {
  /** Text only this block of the README has. */
  readonly marker: string
  /** Code put before the block: what a fragment takes from the text around it. */
  readonly prelude?: string
  /** Code put after it (type checks on what it declares). */
  readonly epilogue?: string
  /** Not type-checked here, and why. */
  readonly skip?: string
  /** Run with Node in the app: how the test drives it. */
  readonly run?: (process: RunningBlock) => Promise<void>
}

interface RunningBlock {
  readonly env: NodeJS.ProcessEnv
  output(): string
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>
  exit(): Promise<number | null>
  child: ChildProcess
}

const CONFIGURATION_PRELUDE = `import { Configuration } from '@pytrack/core'
const configuration = new Configuration({ baseOpenTrackingUrl: 'https://t.example.com/o/', baseClickTrackingUrl: 'https://t.example.com/c/' })
`
const TEMPLATE = `'<html><body><p>Hi <a href="https://example.com/sale">the sale</a></p></body></html>'`

async function exitsCleanly(block: RunningBlock): Promise<void> {
  expect(await block.exit(), block.output()).toBe(0)
}

/** A webhook receiver block: it must take a signed delivery (204) and refuse a forged one (400). */
async function receivesWebhooks(block: RunningBlock): Promise<void> {
  await block.waitFor(/receiving webhooks on port/)
  const configuration = new Configuration({
    baseClickTrackingUrl: 'https://t.example.com/c/',
    webhookUrl: `http://127.0.0.1:${block.env.PORT}/pytrack`,
  })
  const link = getClickTrackingUrl('https://example.com/sale', { customer_id: 1 }, { configuration })
  const result = getClickTrackingResult(link, { configuration })
  const good = await sendWebhook(result, { configuration, secret: block.env.WEBHOOK_SECRET! })
  expect(good, block.output()).toMatchObject({ delivered: true, status: 204 })
  await block.waitFor(new RegExp(`verified ${good.webhookId} https://example\\.com/sale`))
  const forged = await sendWebhook(result, { configuration, secret: generateWebhookSecret(), retry: false })
  expect(forged).toMatchObject({ delivered: false, status: 400 })
  block.child.kill('SIGTERM')
}

const RULES: Readonly<Record<string, readonly BlockRule[]>> = {
  'packages/core/README.md': [
    {
      marker: 'getOpenTrackingUrl({ customer_id: 1 }',
      run: async (block) => {
        await exitsCleanly(block)
        expect(block.output()).toContain("https://example.com/sale { customer_id: 1 }")
      },
    },
  ],
  'packages/crypto/README.md': [
    { marker: 'codec: fernetCodec(key)', run: exitsCleanly },
    {
      marker: 'urlFromAnEmailPytrackingSent',
      prelude: 'declare const urlFromAnEmailPytrackingSent: string // a link from a mail pytracking sent\n',
    },
    { marker: 'fernet.encryptAtTime', prelude: 'const iv = new Uint8Array(16)\n' },
    {
      marker: 'multi.rotate(oldToken)',
      prelude: `import { fernetCodec, MultiFernet } from '@pytrack/crypto'
declare const newKey: string, oldKey: string, oldToken: string
`,
    },
  ],
  'packages/html/README.md': [
    { marker: 'adaptText(plainText', prelude: `const template = ${TEMPLATE}\nconst plainText = 'See https://example.com/sale'\n`, run: exitsCleanly },
    {
      marker: 'result.trapLink',
      prelude: `${CONFIGURATION_PRELUDE}import { adaptHtml } from '@pytrack/html'\nconst template = ${TEMPLATE}\nconst metadata = { customer_id: 1 }\n`,
      run: exitsCleanly,
    },
    {
      marker: 'compileHtml(template',
      prelude: `${CONFIGURATION_PRELUDE}const template = ${TEMPLATE}
const plainTemplate = 'See https://example.com/sale'
const recipients = [{ id: 1, messageId: '<m1@example.com>' }, { id: 2, messageId: '<m2@example.com>' }]
const sent: string[] = []
const send = (recipient: { id: number }, html: string, text: string) => void sent.push(html, text)
`,
      epilogue: "if (sent.length !== 4 || !sent[0]!.includes('https://t.example.com/o/')) throw new Error('not rendered')\n",
      run: exitsCleanly,
    },
  ],
  'packages/http/README.md': [
    { marker: 'Bun.serve(', skip: 'typed with Bun\'s types and run on Bun by packages/http/test/runtimes/readme.test.ts' },
    { marker: 'Deno.ServeDefaultExport', skip: 'typed with Deno\'s types and run on Deno by packages/http/test/runtimes/readme.test.ts' },
    { marker: 'satisfies ExportedHandler', skip: 'typed with the Workers types and run in workerd by packages/http/test/runtimes/readme.test.ts' },
  ],
  'packages/webhook/README.md': [
    { marker: 'await sendWebhook(result', prelude: 'declare const request: Request // the click request, in your handler\n' },
    {
      marker: 'toleranceSeconds: 300',
      prelude: 'declare const rawBody: Uint8Array, request: { headers: Headers } // in your receiver\n',
    },
    {
      marker: 'await sendWebhooks(result',
      prelude: `import { sendWebhooks } from '@pytrack/webhook'
import type { Configuration, TrackingResult } from '@pytrack/core'
declare const result: TrackingResult, configuration: Configuration
`,
    },
    {
      marker: 'createWebhookQueue({',
      prelude: `import type { Configuration, TrackingResult } from '@pytrack/core'
declare const result: TrackingResult, configuration: Configuration
declare const metrics: { timing(name: string, ms: number): void }, logger: { warn(message: string): void }
declare const deadLetters: { save(id: string, payload: object, reason: string): void }
`,
    },
    { marker: "express.raw({ type: 'application/json' })", run: receivesWebhooks },
    { marker: "parseAs: 'buffer'", run: receivesWebhooks },
    { marker: 'c.req.arrayBuffer()', run: receivesWebhooks },
  ],
  'packages/server/README.md': [
    {
      marker: 'startServer(settings)',
      run: async (block) => {
        await block.waitFor(/tracking on http:\/\/127\.0\.0\.1:\d+, links point to/)
        block.child.kill('SIGTERM')
        await exitsCleanly(block)
      },
    },
    {
      marker: 'interface EventStore {',
      prelude: `import type { EventStore as RealEventStore, NewTrackingEvent, NewOutboxItem, RecordedEvent, Page, TrackingEvent, Stats, OutboxItem, OutboxStatus } from '@pytrack/server'
type Awaitable<T> = T | Promise<T>
`,
      // The README's summary holds for the real contract: every method it lists exists, as listed.
      epilogue: 'export const summary = (store: RealEventStore): EventStore => store\n',
    },
  ],
}

interface Block {
  readonly readme: string
  readonly index: number
  readonly code: string
  readonly rule: BlockRule | undefined
  readonly file: string
}

function readmes(): string[] {
  const packages = readdirSync(join(repoRoot, 'packages')).map((name) => `packages/${name}/README.md`)
  return ['README.md', ...packages].filter((path) => existsSync(join(repoRoot, path)))
}

const blocks: Block[] = readmes().flatMap((readme) =>
  codeBlocks(join(repoRoot, readme))
    .filter((block) => block.lang === 'ts')
    .map((block, index) => ({
      readme,
      index,
      code: block.code,
      rule: RULES[readme]?.find((rule) => block.code.includes(rule.marker)),
      file: `readme/${readme.replace(/\/?README\.md$/, '').replaceAll('/', '-') || 'root'}-${index + 1}.ts`,
    })),
)

function source(block: Block): string {
  return `${block.rule?.prelude ?? ''}${block.code}${block.rule?.epilogue ?? ''}\nexport {}\n`
}

let app: ConsumerApp
let errors: string[]
const children: ChildProcess[] = []

beforeAll(() => {
  app = consumerApp(new Map(inject('packedTarballs')), {
    packages: ['@types/node', '@types/express', 'express', 'fastify', 'hono', '@hono/node-server', 'koa', '@types/koa', 'pg', '@types/pg'],
  })
  const checked = blocks.filter((block) => !block.rule?.skip)
  errors = app.typeErrors(Object.fromEntries(checked.map((block) => [block.file, source(block)])), ['node'])
}, 180_000)

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL')
})

function start(block: Block, env: NodeJS.ProcessEnv): RunningBlock {
  const script = join(app.dir, block.file.replace(/\.ts$/, '.mjs'))
  writeFileSync(script, transformSync(source(block), { loader: 'ts', format: 'esm', target: 'node20' }).code)
  const child = spawn(process.execPath, [script], { cwd: app.dir, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  let output = ''
  const listeners = new Set<() => void>()
  const collect = (chunk: Buffer): void => {
    output += chunk.toString('utf8')
    for (const listener of listeners) listener()
  }
  child.stdout.on('data', collect)
  child.stderr.on('data', collect)
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return {
    env,
    child,
    output: () => output,
    exit: () => exited,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const match = output.match(pattern)
          if (match) {
            listeners.delete(check)
            resolve(match)
          }
        }
        listeners.add(check)
        check()
        void exited.then(() => {
          if (listeners.delete(check)) reject(new Error(`exited before printing ${pattern}:\n${output}`))
        })
      }),
  }
}

describe('README code blocks', () => {
  test('every rule names a block that exists (a renamed example does not leave its rule behind)', () => {
    for (const [readme, rules] of Object.entries(RULES)) {
      for (const rule of rules) {
        expect(blocks.filter((block) => block.readme === readme && block.code.includes(rule.marker)), `${readme}: ${rule.marker}`).toHaveLength(1)
      }
    }
  })

  test.each(blocks.map((block) => [`${block.readme} block ${block.index + 1}`, block] as const))('%s type-checks in a new app', (_name, block) => {
    if (block.rule?.skip) return void expect(block.rule.skip).not.toBe('')
    expect(errors.filter((error) => error.startsWith(`${block.file}:`))).toEqual([])
  })

  const runnable = blocks.filter((block) => block.rule?.run)
  test.each(runnable.map((block) => [`${block.readme} block ${block.index + 1}`, block] as const))('%s runs as written', async (_name, block) => {
    const port = await freePort()
    const dataDir = join(app.dir, `data-${block.index}-${port}`)
    await block.rule!.run!(
      start(block, { PORT: String(port), PYTRACK_PORT: '0', PYTRACK_DATA_DIR: dataDir, WEBHOOK_SECRET: generateWebhookSecret() }),
    )
  })
})
