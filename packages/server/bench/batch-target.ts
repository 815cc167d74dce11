// A server for bench/batch.ts, in its own process so its peak RSS is its own: the pytrack server
// with Fernet links (the bench workload's key). Prints its URL as JSON; answers each line on
// stdin with its memory as JSON ({ rss, maxRss } in bytes, cpu: process.cpuUsage()); exits when stdin ends.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { benchWorkload } from '../../../test-utils/vectors'
import { loadSettings, startServer } from '../src/index'

const dir = mkdtempSync(join(tmpdir(), 'pytrack-bench-batch-'))
const settings = loadSettings({
  env: {},
  overrides: { port: 0, dataDir: dir, logLevel: 'silent', keys: [benchWorkload.fernetKey], baseClickTrackingUrl: benchWorkload.baseClickTrackingUrl, baseOpenTrackingUrl: benchWorkload.baseOpenTrackingUrl },
})
const server = await startServer(settings)
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`)
const memory = (): string => JSON.stringify({ rss: process.memoryUsage.rss(), maxRss: process.resourceUsage().maxRSS * 1024, cpu: process.cpuUsage() })
createInterface({ input: process.stdin })
  .on('line', () => process.stdout.write(`${memory()}\n`))
  .on('close', () => {
    void server.close().then(() => {
      rmSync(dir, { recursive: true, force: true })
      process.exit(0)
    })
  })
