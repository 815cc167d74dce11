// A server for bench/server.ts to measure, run in its own process: `recorded` is the pytrack
// server (SQLite store, events committed before answering), `bare` is @pytrack/http's node
// handler with the same configuration and no store. Prints its URL and an open link as JSON.
// `recorded normal no-verdicts` runs the server without its machine verdicts (bench/verdicts.ts).
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getOpenTrackingUrl, getClickTrackingUrl } from '@pytrack/core'
import { createNodeHandler } from '@pytrack/http/node'
import { benchWorkload } from '../../../test-utils/vectors'
import { loadSettings, startServer } from '../src/index'
import { linkConfiguration } from '../src/server'

const mode = process.argv[2]
const dir = mkdtempSync(join(tmpdir(), 'pytrack-bench-'))
const settings = loadSettings({
  env: {},
  overrides: { port: 0, dataDir: dir, logLevel: 'silent', keys: [benchWorkload.fernetKey], synchronous: (process.argv[3] ?? 'normal') as 'normal' },
})
const configuration = linkConfiguration(settings, { info: () => undefined, warn: () => undefined } as never)
const open = new URL(getOpenTrackingUrl(benchWorkload.metadata, { configuration })).pathname
const click = new URL(getClickTrackingUrl(benchWorkload.clickUrl, benchWorkload.metadata, { configuration })).pathname

let url: string
let stop: () => Promise<void>
if (mode === 'recorded') {
  const server = await startServer(settings, { verdicts: process.argv[4] !== 'no-verdicts' })
  url = server.url
  stop = () => server.close()
} else {
  const server = createServer(createNodeHandler({ configuration, prefix: '', onTrackingEvent: () => undefined }))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address() as { port: number }
  url = `http://127.0.0.1:${address.port}`
  stop = () => new Promise((resolve) => server.close(() => resolve()))
}
process.stdout.write(`${JSON.stringify({ url, open, click })}\n`)
process.stdin.resume()
process.stdin.on('end', () => {
  void stop().then(() => {
    rmSync(dir, { recursive: true, force: true })
    process.exit(0)
  })
})
