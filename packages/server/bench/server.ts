// pnpm bench: recorded opens a second under 64 connections (autocannon), the pytrack server
// (each open committed to SQLite before it is answered) side by side with @pytrack/http's bare
// node handler (same configuration, no store). Each server runs in its own process.
import { spawn } from 'node:child_process'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'

const CONNECTIONS = 64
const WARMUP_SECONDS = 2
const RUN_SECONDS = 5
const RUNS = 3
const HEADERS = {
  'user-agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15',
  accept: 'image/avif,image/webp,*/*',
  'accept-language': 'en-GB,en;q=0.9',
}

interface Figures {
  rps: number
  p99: number
  errors: number
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}

async function measure(mode: string, route: 'open' | 'click', extra: string[] = []): Promise<Figures> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('target.ts', import.meta.url)), mode, ...extra], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (data: Buffer) => resolve(String(data)))
    child.once('exit', (code) => reject(new Error(`bench target exited with ${String(code)}`)))
  })
  const target = JSON.parse(line) as { url: string; open: string; click: string }
  const url = target.url + target[route]
  await autocannon({ url, connections: CONNECTIONS, duration: WARMUP_SECONDS, headers: HEADERS })
  const runs: Figures[] = []
  for (let i = 0; i < RUNS; i++) {
    const result = await autocannon({ url, connections: CONNECTIONS, duration: RUN_SECONDS, headers: HEADERS })
    runs.push({ rps: result.requests.average, p99: result.latency.p99, errors: result.errors + result.timeouts + result.non2xx - result['3xx'] })
  }
  child.stdin.end()
  await new Promise((resolve) => child.once('exit', resolve))
  return { rps: median(runs.map((r) => r.rps)), p99: median(runs.map((r) => r.p99)), errors: runs.reduce((n, r) => n + r.errors, 0) }
}

console.log(`@pytrack/server bench: Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores`)
console.log(`${CONNECTIONS} connections, median of ${RUNS} runs of ${RUN_SECONDS} s after ${WARMUP_SECONDS} s warm-up; Fernet links of the bench workload`)
const rows: [string, Figures][] = []
for (const route of ['open', 'click'] as const) {
  const bare = await measure('bare', route)
  const recorded = await measure('recorded', route)
  rows.push([`${route}: bare @pytrack/http node handler, no store`, bare])
  rows.push([`${route}: pytrack server, SQLite WAL synchronous=NORMAL`, recorded])
  console.log(`  ${route}: recorded/bare = ${((recorded.rps / bare.rps) * 100).toFixed(0)}%`)
}
const full = await measure('recorded', 'open', ['full'])
rows.push(['open: pytrack server, SQLite WAL synchronous=FULL', full])
for (const [name, figures] of rows) {
  console.log(`${name.padEnd(58)} ${Math.round(figures.rps).toLocaleString('en-US').padStart(8)} req/s   p99 ${String(figures.p99).padStart(4)} ms   errors ${figures.errors}`)
}
