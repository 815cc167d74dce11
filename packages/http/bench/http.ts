// Requests a second on the node:http adapter for the open and the click endpoint, with
// base64 links and with Fernet links (the server's default), side by side with a bare
// node:http server answering the same bytes (64 connections, autocannon). Each server runs in
// its own child process; autocannon runs here. Prints, never fails.
import { fork, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { Configuration, getClickTrackingUrl, getOpenTrackingPixel, getOpenTrackingUrl } from '@pytrack/core'
import { fernetCodec } from '@pytrack/crypto'
import { benchWorkload } from '../../../test-utils/vectors'
import { createNodeHandler } from '@pytrack/http/node'

const CONNECTIONS = 64
const WARMUP_SECONDS = 1
const RUN_SECONDS = Number(process.env.BENCH_SECONDS ?? 3)
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const NO_CACHE = 'no-store, no-cache, must-revalidate, private'

const base = {
  baseOpenTrackingUrl: benchWorkload.baseOpenTrackingUrl,
  baseClickTrackingUrl: benchWorkload.baseClickTrackingUrl,
}
const configurations = {
  base64: new Configuration(base),
  fernet: new Configuration({ ...base, codec: fernetCodec(benchWorkload.fernetKey) }),
}
const pathOf = (link: string): string => new URL(link).pathname
const paths = (configuration: Configuration): { open: string; click: string } => ({
  open: pathOf(getOpenTrackingUrl(benchWorkload.metadata, { configuration })),
  click: pathOf(getClickTrackingUrl(benchWorkload.clickUrl, benchWorkload.metadata, { configuration })),
})

type Links = keyof typeof configurations
type ServerKind = 'bare' | Links
const KINDS = ['bare', 'base64', 'fernet'] as const
const LABELS: Record<ServerKind, string> = { bare: 'bare node:http', base64: 'node adapter, base64', fernet: 'node adapter, Fernet' }

function startServer(kind: ServerKind): Promise<number> {
  let listener: Parameters<typeof createServer>[1]
  if (kind !== 'bare') {
    let events = 0
    listener = createNodeHandler({
      configuration: configurations[kind],
      routes: { open: 'o', click: 'c' },
      allowedDestinations: ['www.example.com'],
      // A realistic hook: receive each result (the request is not needed, so it is not built).
      onTrackingEvent: (result) => {
        if (result.timestamp > 0) events++
      },
    })
  } else {
    // The same bytes the handler answers, with no work at all.
    const [pixel] = getOpenTrackingPixel()
    const openHeaders = { 'content-type': 'image/png', 'content-length': '68', 'cache-control': NO_CACHE, pragma: 'no-cache', expires: '0' }
    const clickHeaders = { location: benchWorkload.clickUrl, 'cache-control': NO_CACHE, pragma: 'no-cache', expires: '0', 'content-length': '0' }
    listener = (req, res) => {
      if (req.url?.startsWith('/o/')) res.writeHead(200, openHeaders).end(pixel)
      else res.writeHead(302, clickHeaders).end()
    }
  }
  const server = createServer(listener)
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)))
}

async function child(kind: ServerKind): Promise<void> {
  const port = await startServer(kind)
  // The parent asks for CPU time around each run: CPU per request does not depend on how
  // busy the rest of the machine is, unlike requests a second.
  process.on('message', () => {
    const { user, system } = process.cpuUsage()
    process.send?.({ cpu: user + system })
  })
  process.send?.({ port })
}

function cpuOf(proc: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    proc.once('message', (message) => resolve((message as { cpu: number }).cpu))
    proc.send('cpu')
  })
}

function spawn(kind: ServerKind): Promise<{ port: number; process: ChildProcess }> {
  const proc = fork(fileURLToPath(import.meta.url), ['serve', kind], { execArgv: process.execArgv, stdio: 'inherit' })
  return new Promise((resolve, reject) => {
    proc.once('message', (message) => resolve({ port: (message as { port: number }).port, process: proc }))
    proc.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)))
  })
}

interface Run {
  rps: number
  p99: number
  bad: number
  /** Server CPU time per request, in microseconds. */
  cpu: number
}

async function measure(server: ChildProcess, url: string, seconds: number, expected: 200 | 302): Promise<Run> {
  const before = await cpuOf(server)
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds })
  const cpu = (await cpuOf(server)) - before
  const good = expected === 200 ? result['2xx'] : result['3xx']
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    bad: result.errors + result.timeouts + (result.requests.total - good),
    cpu: cpu / Math.max(1, result.requests.total),
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')

async function main(): Promise<void> {
  console.log(`@pytrack/http bench: node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length}`)
  console.log(`autocannon, ${CONNECTIONS} connections, ${WARMUP_SECONDS} s warm-up, median of ${RUNS} runs of ${RUN_SECONDS} s (bare, base64 and Fernet alternating)`)
  const servers = { bare: await spawn('bare'), base64: await spawn('base64'), fernet: await spawn('fernet') }
  const links = { bare: paths(configurations.base64), base64: paths(configurations.base64), fernet: paths(configurations.fernet) }
  try {
    const rows: string[][] = [['endpoint', 'server', 'req/s', 'p99 ms', 'errors', 'req/s vs bare', 'CPU µs/req', 'per CPU-second vs bare']]
    const only = process.env.BENCH_ENDPOINTS?.split(',')
    for (const [endpoint, expected] of [
      ['open', 200],
      ['click', 302],
    ] as const) {
      if (only && !only.includes(endpoint)) continue
      const runs: Record<ServerKind, Run[]> = { bare: [], base64: [], fernet: [] }
      const url = (kind: ServerKind): string => `http://127.0.0.1:${servers[kind].port}${links[kind][endpoint]}`
      for (const kind of KINDS) await measure(servers[kind].process, url(kind), WARMUP_SECONDS, expected)
      for (let i = 0; i < RUNS; i++) {
        for (const kind of KINDS) runs[kind].push(await measure(servers[kind].process, url(kind), RUN_SECONDS, expected))
      }
      const bareRps = median(runs.bare.map((run) => run.rps))
      const bareCpu = median(runs.bare.map((run) => run.cpu))
      for (const kind of KINDS) {
        const rps = median(runs[kind].map((run) => run.rps))
        const cpu = median(runs[kind].map((run) => run.cpu))
        rows.push([
          endpoint,
          LABELS[kind],
          fmt(rps),
          String(median(runs[kind].map((run) => run.p99))),
          String(runs[kind].reduce((sum, run) => sum + run.bad, 0)),
          kind === 'bare' ? '' : `${((rps / bareRps) * 100).toFixed(1)}%`,
          cpu.toFixed(1),
          kind === 'bare' ? '' : `${((bareCpu / cpu) * 100).toFixed(1)}%`,
        ])
      }
    }
    const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? []
    for (const row of rows) console.log(row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  '))
    console.log('target: per CPU-second, base64 links at 70% or more of the bare server, Fernet links at 60% or more.')
    console.log('"per CPU-second" = bare CPU per request / ours: the share of the bare rate the handler reaches when')
    console.log('the server, not the load generator or other processes, is the limit (req/s on a shared 2-core')
    console.log('machine is noisy).')
  } finally {
    for (const kind of KINDS) servers[kind].process.kill()
  }
}

if (process.argv[2] === 'serve') void child(process.argv[3] as ServerKind)
else await main()
