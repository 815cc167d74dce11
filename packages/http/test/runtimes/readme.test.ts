// The README's Bun, Deno and Workers examples, run as written on their runtime against the
// built packages, installed as npm installs them (package.json and dist in node_modules/@pytrack/).
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { getClickTrackingUrl } from '@pytrack/core'
import { afterEach, describe, expect, it } from 'vitest'
import { codeBlockWith, typeErrors } from '../../../../test-utils/readme'
import {
  bundleWorker,
  denoBinary,
  repoRoot,
  runProcess,
  startOnRuntime,
  startProcess,
  startWorker,
  type OutputLines,
  type RuntimeProcess,
} from '../../../../test-utils/runtimes'

const readme = fileURLToPath(new URL('../../README.md', import.meta.url))
const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A project folder with `server.ts` holding `code`, and @pytrack/core and @pytrack/http installed. */
function appWith(code: string): string {
  const app = mkdtempSync(join(tmpdir(), 'pytrack-readme-'))
  cleanups.push(() => rmSync(app, { recursive: true, force: true }))
  const dependencies: Record<string, string> = {}
  for (const name of ['core', 'http']) {
    for (const file of ['package.json', 'dist']) {
      cpSync(join(repoRoot, 'packages', name, file), join(app, 'node_modules', '@pytrack', name, file), { recursive: true })
    }
    dependencies[`@pytrack/${name}`] = '*'
  }
  writeFileSync(join(app, 'package.json'), JSON.stringify({ type: 'module', dependencies }))
  writeFileSync(join(app, 'server.ts'), code)
  return join(app, 'server.ts')
}

function started(child: RuntimeProcess): RuntimeProcess {
  cleanups.push(() => child.stop())
  return child
}

/** Clicks a link made for the example's base URL, on `origin`: a 302, and the hook's log line. */
async function expectClickServed(origin: string, output: OutputLines): Promise<void> {
  const destination = 'https://www.example.com/autumn-sale?utm_source=readme'
  const link = getClickTrackingUrl(destination, { customer_id: 5 }, { baseClickTrackingUrl: 'https://t.example.com/click/' })
  const response = await fetch(link.replace('https://t.example.com', origin), { redirect: 'manual' })
  expect(response.status).toBe(302)
  expect(response.headers.get('location')).toBe(destination)
  // onTrackingEvent's console.log(result.toJSON()), in the runtime's own format.
  await output.line((line) => /tracked_url: ["']/.test(line) && line.includes(destination))
  await output.line((line) => /customer_id: 5\b/.test(line))
}

// A type check with a runtime's whole library (Bun's pulls in @types/node) takes seconds on a busy
// machine: room beyond the default 30 s, as a limit, not a measure.
describe('the http README', { timeout: 120_000 }, () => {
  it("Bun example: type-checks with Bun's types, and Bun.serve answers a click link with a 302 and logs the event", async () => {
    const server = appWith(codeBlockWith(readme, 'Bun.serve('))
    expect(typeErrors(server, { types: ['bun'], typeRoots: [join(repoRoot, 'node_modules', '@types')], lib: ['lib.esnext.d.ts'] })).toEqual([])
    const child = started(
      startOnRuntime('bun', server, {
        runtimeArgs: [`--preload=${fileURLToPath(new URL('./announce-bun-serve.ts', import.meta.url))}`],
        env: { PORT: '0' }, // Bun.serve's port when the code names none; 0 picks a free one
      }),
    )
    const { listening } = await child.output.message<{ listening: number }>((message) => 'listening' in message)
    await expectClickServed(`http://127.0.0.1:${listening}`, child.output)
  })

  it('Deno example: type-checks with deno check, and deno serve answers a click link with a 302 and logs the event', async () => {
    const server = appWith(codeBlockWith(readme, 'Deno.ServeDefaultExport'))
    // Deno's own types and the package's shipped declarations.
    const checked = await runProcess(denoBinary(), ['check', server], { cwd: dirname(server) })
    expect(checked.stderr + checked.stdout).not.toMatch(/error/i)
    expect(checked.status).toBe(0)
    // The README's command, on a free port of 127.0.0.1.
    const child = started(startProcess(denoBinary(), ['serve', '--allow-net', '--port', '0', '--host', '127.0.0.1', server], { cwd: dirname(server) }))
    const listening = await child.output.line((line) => /Listening on http:\/\/127\.0\.0\.1:\d+/.test(line))
    await expectClickServed(/http:\/\/127\.0\.0\.1:\d+/.exec(listening)![0], child.output)
  })

  it("Workers example: type-checks with Workers' types, and answers bundled as wrangler does, in workerd without nodejs_compat", async () => {
    const server = appWith(codeBlockWith(readme, 'satisfies ExportedHandler'))
    const workersTypes = join(repoRoot, 'node_modules', '@cloudflare')
    expect(typeErrors(server, { types: ['workers-types'], typeRoots: [workersTypes], lib: ['lib.es2023.d.ts'] })).toEqual([])
    const script = await bundleWorker(`export { default } from ${JSON.stringify(server)}`, dirname(server))
    const worker = await startWorker(script, { nodejsCompat: false })
    cleanups.push(() => worker.mf.dispose())
    await expectClickServed(worker.url.origin, worker.output)
  })
})
