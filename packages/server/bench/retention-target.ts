// A server for bench/retention.ts, in its own process: the pytrack server on a database that
// already holds `argv[3]` events older than the retention age, with the retention job on or
// off (`argv[2]`). Prints its URL and an open link as JSON, then `{"retentionDone": ms}` when
// the job has caught up.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import pino from 'pino'
import { getOpenTrackingUrl } from '@pytrack/core'
import { benchWorkload } from '../../../test-utils/vectors'
import { loadSettings, openSqliteEventStore, startServer, type RecordRequest } from '../src/index'
import { linkConfiguration } from '../src/server'

const retention = process.argv[2] === 'on'
const count = Number(process.argv[3] ?? 1_000_000)
const DAY = 86_400_000
const dir = mkdtempSync(join(tmpdir(), 'pytrack-bench-retention-'))

// A million old events, 10,000 a transaction.
const store = openSqliteEventStore({ file: join(dir, 'pytrack.db') })
const old = Date.now() - 60 * DAY
for (let done = 0; done < count; ) {
  const batch: RecordRequest[] = []
  for (let i = 0; i < 10_000 && done < count; i++, done++) {
    batch.push({
      event: {
        kind: done % 4 === 0 ? 'click' : 'open',
        time: old + done,
        emailId: `message_id="m-${done % 50_000}"`,
        metadata: { message_id: `m-${done % 50_000}`, campaign: 'fall-2026', email: `person-${done}@example.com` },
        destination: done % 4 === 0 ? benchWorkload.clickUrl : null,
        clientIp: `198.51.${(done >> 8) & 255}.${done & 255}`,
        userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15',
        machine: false,
        label: 'human',
        labelReason: null,
        requestData: { user_ip: `198.51.${(done >> 8) & 255}.${done & 255}`, user_agent: 'Mozilla/5.0', referer: 'https://mail.example.com/u/0' },
      },
      outbox: [],
    })
  }
  store.recordEvents(batch)
}
store.close()

const started = Date.now()
const logger = pino(
  { level: 'info' },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (String(chunk).includes('retention: anonymised old events')) process.stdout.write(`${JSON.stringify({ retentionDone: Date.now() - started })}\n`)
      done()
    },
  }),
)
const settings = loadSettings({
  env: {},
  overrides: { port: 0, dataDir: dir, logLevel: 'info', keys: [benchWorkload.fernetKey], retentionMs: retention ? 30 * DAY : null, retentionDropKeys: ['email'] },
})
const configuration = linkConfiguration(settings, { info: () => undefined, warn: () => undefined } as never)
const open = new URL(getOpenTrackingUrl(benchWorkload.metadata, { configuration })).pathname
const server = await startServer(settings, { logger })
process.stdout.write(`${JSON.stringify({ url: server.url, open })}\n`)
process.stdin.resume()
process.stdin.on('end', () => {
  void server.close().then(() => {
    rmSync(dir, { recursive: true, force: true })
    process.exit(0)
  })
})
