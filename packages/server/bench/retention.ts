// pnpm bench: recorded opens a second while the retention job anonymises a million old events,
// beside the same server and database with the job off. 64 connections (autocannon), Fernet links.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'

const EVENTS = Number(process.env.BENCH_RETENTION_EVENTS ?? 1_000_000)
const CONNECTIONS = 64
const SECONDS = 5

interface Target {
  url: string
  open: string
  /** Resolves with the ms the job took once it has caught up (never, with it off). */
  done: Promise<number>
  stop: () => Promise<unknown>
}

async function start(retention: 'on' | 'off'): Promise<Target> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('retention-target.ts', import.meta.url)), retention, String(EVENTS)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const lines = createInterface({ input: child.stdout })
  let finished: (ms: number) => void = () => undefined
  const done = new Promise<number>((resolve) => (finished = resolve))
  const first = await new Promise<{ url: string; open: string }>((resolve, reject) => {
    lines.on('line', (line) => {
      const message = JSON.parse(line) as { url?: string; open?: string; retentionDone?: number }
      if (message.retentionDone !== undefined) finished(message.retentionDone)
      else resolve(message as { url: string; open: string })
    })
    child.once('exit', (code) => reject(new Error(`retention bench target exited with ${String(code)}`)))
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  return { ...first, done, stop: () => (child.stdin.end(), exited) }
}

async function measure(target: Target): Promise<{ rps: number; p99: number; errors: number }> {
  const result = await autocannon({ url: target.url + target.open, connections: CONNECTIONS, duration: SECONDS, headers: { 'user-agent': 'Mozilla/5.0 (Macintosh) Safari/605.1.15', accept: 'image/*', 'accept-language': 'en' } })
  return { rps: result.requests.average, p99: result.latency.p99, errors: result.errors + result.timeouts + result['5xx'] }
}

console.log(`@pytrack/server retention bench: ${EVENTS.toLocaleString('en-US')} events older than the retention age, ${CONNECTIONS} connections, ${SECONDS} s each`)
const off = await start('off')
const withoutJob = await measure(off)
await off.stop()
const on = await start('on')
const started = Date.now()
const whileJob = await measure(on)
const measuredFor = Date.now() - started
const tookMs = await on.done
await on.stop()
const row = (name: string, f: { rps: number; p99: number; errors: number }): string =>
  `${name.padEnd(52)} ${Math.round(f.rps).toLocaleString('en-US').padStart(8)} opens/s   p99 ${String(f.p99).padStart(4)} ms   errors ${f.errors}`
console.log(row('retention job off', withoutJob))
console.log(row(`while the job anonymises ${EVENTS.toLocaleString('en-US')} events`, whileJob))
console.log(`  the job caught up after ${(tookMs / 1000).toFixed(1)} s (${Math.round(EVENTS / (tookMs / 1000)).toLocaleString('en-US')} events/s); the load ran for the first ${(measuredFor / 1000).toFixed(1)} s of it${tookMs < measuredFor ? ' (the job finished inside the window: the figure mixes both)' : ''}`)
console.log(`  opens/s while pruning / without: ${((whileJob.rps / withoutJob.rps) * 100).toFixed(0)}%`)
