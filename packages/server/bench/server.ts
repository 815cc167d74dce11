// pnpm bench: recorded opens a second under 64 connections (autocannon), the pytrack server
// (each open committed to SQLite before it is answered) side by side with @pytrack/http's bare
// node handler (same configuration, no store). Each server runs in its own process.
import { cpus } from 'node:os'
import autocannon from 'autocannon'
import { startTarget, type Target } from './target-process'

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

async function run(url: string, seconds: number): Promise<Figures> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, headers: HEADERS })
  return { rps: result.requests.average, p99: result.latency.p99, errors: result.errors + result.timeouts + result['4xx'] + result['5xx'] }
}

/** Runs the targets in turn, RUNS times, so a busy machine weighs on each alike; medians. */
async function compare(targets: [string, Target][], route: 'open' | 'click'): Promise<[string, Figures][]> {
  for (const [, target] of targets) await run(target.url + target[route], WARMUP_SECONDS)
  const runs = new Map<string, Figures[]>(targets.map(([name]) => [name, []]))
  for (let i = 0; i < RUNS; i++) {
    for (const [name, target] of targets) runs.get(name)?.push(await run(target.url + target[route], RUN_SECONDS))
  }
  return targets.map(([name]) => {
    const figures = runs.get(name) ?? []
    return [name, { rps: median(figures.map((r) => r.rps)), p99: median(figures.map((r) => r.p99)), errors: figures.reduce((n, r) => n + r.errors, 0) }]
  })
}

console.log(`@pytrack/server bench: Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores`)
console.log(`${CONNECTIONS} connections, median of ${RUNS} runs of ${RUN_SECONDS} s after ${WARMUP_SECONDS} s warm-up; Fernet links of the bench workload`)
const bare = await startTarget('bare')
const recorded = await startTarget('recorded')
const full = await startTarget('recorded', ['full'])
const rows: [string, Figures][] = []
for (const route of ['open', 'click'] as const) {
  const targets: [string, Target][] = [
    [`${route}: bare @pytrack/http node handler, no store`, bare],
    [`${route}: pytrack server, SQLite WAL synchronous=NORMAL`, recorded],
  ]
  if (route === 'open') targets.push([`${route}: pytrack server, SQLite WAL synchronous=FULL`, full])
  const figures = await compare(targets, route)
  rows.push(...figures)
  const [bareFigures, recordedFigures] = [figures[0]?.[1], figures[1]?.[1]]
  if (bareFigures && recordedFigures) console.log(`  ${route}: recorded/bare = ${((recordedFigures.rps / bareFigures.rps) * 100).toFixed(0)}%`)
}
await Promise.all([bare.stop(), recorded.stop(), full.stop()])
for (const [name, figures] of rows) {
  console.log(`${name.padEnd(58)} ${Math.round(figures.rps).toLocaleString('en-US').padStart(8)} req/s   p99 ${String(figures.p99).padStart(4)} ms   errors ${figures.errors}`)
}
