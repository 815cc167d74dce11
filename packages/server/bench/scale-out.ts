// pnpm bench: the server scaled out, side by side in one run (issue #13). Recorded opens a second
// under 64 connections (autocannon, Fernet links of the bench workload, the server's default) for
// `pytrack serve` on SQLite with one process and with `--workers auto`, on PostgreSQL with one
// instance and with two (the load spread over both, as a load balancer would), and @pytrack/http's
// bare node handler (no store). Each figure beside pytracking's Django views under gunicorn
// (about 2,500/s on this machine, ../shared/bench/README.md; the aim is 6x), with p99 latency and
// CPU per request of the whole server side (every pytrack process, and PostgreSQL's).
import { readFileSync } from 'node:fs'
import { cpus } from 'node:os'
import autocannon from 'autocannon'
import pg from 'pg'
import { Configuration, getOpenTrackingUrl } from '@pytrack/core'
import { fernetCodec } from '@pytrack/crypto'
import { createDatabase, startTestPostgres } from '../../../test-utils/postgres'
import { benchWorkload } from '../../../test-utils/vectors'
import { spawnServer, type ChildServer } from '../test/child-server'
import { BROWSER, TOKEN, tempDir } from '../test/helpers'
import { cpuSeconds, processTree, startTarget } from './target-process'

const CONNECTIONS = 64
const WARMUP_SECONDS = 1
const RUN_SECONDS = Number(process.env.BENCH_SECONDS ?? 3)
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const DJANGO = 2_500
const AIM = 6
interface Row {
  name: string
  urls: string[]
  /** The processes whose CPU serves these requests. */
  pids: () => number[]
  /** PostgreSQL's part of them, and the count of write transactions so far (its rows only). */
  postgres?: { pids: () => number[]; transactions: () => Promise<number> }
}

interface Run {
  rps: number
  p99: number
  bad: number
  /** Server-side CPU per request, µs. */
  cpu: number
  /** PostgreSQL's CPU per request, µs, and requests a write transaction (its rows only). */
  postgresCpu?: number
  perCommit?: number
}

async function measure(row: Row, seconds: number): Promise<Run> {
  const before = cpuSeconds(row.pids())
  const postgresBefore = row.postgres === undefined ? 0 : cpuSeconds(row.postgres.pids())
  const transactionsBefore = (await row.postgres?.transactions()) ?? 0
  // autocannon takes several URLs (its connections split over them); its types say one.
  const result = await autocannon({ url: row.urls as unknown as string, connections: CONNECTIONS, duration: seconds, headers: BROWSER })
  const cpu = cpuSeconds(row.pids()) - before
  const postgres =
    row.postgres === undefined
      ? {}
      : {
          postgresCpu: ((cpuSeconds(row.postgres.pids()) - postgresBefore) * 1e6) / Math.max(1, result.requests.total),
          perCommit: result.requests.total / Math.max(1, (await row.postgres.transactions()) - transactionsBefore),
        }
  return {
    ...postgres,
    rps: result.requests.average,
    p99: result.latency.p99,
    bad: result.errors + result.timeouts + (result.requests.total - result['2xx']),
    cpu: (cpu * 1e6) / Math.max(1, result.requests.total),
  }
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')

console.log(`\n## pytrack server scaled out: Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores`)
console.log(
  `${CONNECTIONS} connections, opens with Fernet links, ${WARMUP_SECONDS} s warm-up, median of ${RUNS} runs of ${RUN_SECONDS} s (rows alternating); ` +
    'the servers run `pytrack serve` from the sources (tsx), each hit committed before it is answered',
)
const configuration = new Configuration({ baseOpenTrackingUrl: 'http://bench.test/open/', baseClickTrackingUrl: 'http://bench.test/click/', codec: fernetCodec(benchWorkload.fernetKey) })
const openPath = new URL(getOpenTrackingUrl(benchWorkload.metadata, { configuration })).pathname

const postgres = await startTestPostgres()
const cleanups: (() => Promise<unknown> | void)[] = [() => postgres.stop()]
try {
  const database = await createDatabase(postgres.url)
  cleanups.push(() => database.drop())
  const serve = async (env: Record<string, string>, args: string[] = []): Promise<ChildServer> => {
    const dir = tempDir('pytrack-bench-')
    const server = await spawnServer({ PYTRACK_DATA_DIR: dir.path, PYTRACK_KEYS: benchWorkload.fernetKey, PYTRACK_API_TOKEN: TOKEN, ...env }, { args })
    cleanups.push(async () => {
      server.child.kill('SIGTERM')
      await server.exited
      dir.remove()
    })
    return server
  }
  const bare = await startTarget('bare')
  cleanups.push(() => bare.stop())
  const sqlite = await serve({})
  const sqliteAll = await serve({}, ['--workers', 'auto'])
  const pg1 = await serve({ PYTRACK_DATABASE_URL: database.url })
  const pg2 = await serve({ PYTRACK_DATABASE_URL: database.url })
  // PostgreSQL's processes: the server the bench started, below this process, not a pytrack child.
  const postgresPids = (): number[] => {
    const ours = new Set(processTree([sqlite, sqliteAll, pg1, pg2].map((server) => server.child.pid ?? 0)).concat(bare.pid))
    return processTree([process.pid]).filter((pid) => pid !== process.pid && !ours.has(pid) && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres')
  }
  const pidOf = (server: ChildServer): number => server.child.pid ?? 0
  // Write transactions: the next transaction id moves by one for each (reading it takes none).
  const watcher = new pg.Client({ connectionString: database.url })
  await watcher.connect()
  cleanups.push(() => watcher.end())
  const transactions = async (): Promise<number> =>
    Number((await watcher.query<{ next: string }>('SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS next')).rows[0]?.next)
  const onPostgres = { pids: postgresPids, transactions }
  const rows: Row[] = [
    { name: 'bare @pytrack/http node handler, no store', urls: [bare.url + bare.open], pids: () => [bare.pid] },
    { name: 'SQLite, 1 process', urls: [sqlite.url + openPath], pids: () => [pidOf(sqlite)] },
    { name: `SQLite, --workers auto (${cpus().length})`, urls: [sqliteAll.url + openPath], pids: () => [pidOf(sqliteAll)] },
    { name: 'PostgreSQL, 1 instance', urls: [pg1.url + openPath], pids: () => [pidOf(pg1), ...postgresPids()], postgres: onPostgres },
    { name: 'PostgreSQL, 2 instances', urls: [pg1.url + openPath, pg2.url + openPath], pids: () => [pidOf(pg1), pidOf(pg2), ...postgresPids()], postgres: onPostgres },
  ]
  for (const row of rows) await measure(row, WARMUP_SECONDS)
  const runs = new Map<Row, Run[]>(rows.map((row) => [row, []]))
  for (let i = 0; i < RUNS; i++) for (const row of rows) runs.get(row)?.push(await measure(row, RUN_SECONDS))

  const table: string[][] = [['server', 'opens/s', 'vs Django', 'p99 ms', 'errors', 'CPU µs/req', 'of it PostgreSQL', 'hits a commit', 'opens per CPU-second']]
  for (const row of rows) {
    const figures = runs.get(row) ?? []
    const rps = median(figures.map((run) => run.rps))
    const cpu = median(figures.map((run) => run.cpu))
    table.push([
      row.name,
      fmt(rps),
      row === rows[0] ? '' : `${(rps / DJANGO).toFixed(1)}x`,
      String(median(figures.map((run) => run.p99))),
      String(figures.reduce((sum, run) => sum + run.bad, 0)),
      cpu.toFixed(0),
      row.postgres === undefined ? '' : median(figures.map((run) => run.postgresCpu ?? 0)).toFixed(0),
      row.postgres === undefined ? '' : median(figures.map((run) => run.perCommit ?? 0)).toFixed(1),
      fmt(1e6 / cpu),
    ])
  }
  const widths = table[0]?.map((_, column) => Math.max(...table.map((cells) => (cells[column] ?? '').length))) ?? []
  for (const cells of table) console.log(cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  '))
  console.log(`reference: pytracking's Django views under gunicorn, 2 sync workers, storing nothing: about ${fmt(DJANGO)}/s here; aim ${AIM}x (${fmt(DJANGO * AIM)}/s).`)
  console.log('CPU µs/req counts every process of the row (workers, and PostgreSQL for its rows), not autocannon: on this shared')
  console.log('2-core machine the load generator takes a core of its own, so opens/s (wall clock) are noisy and low; per CPU-second steadier.')
  console.log("'of it PostgreSQL': the database server's CPU a request; 'hits a commit': requests over write transactions (one group commit")
  console.log('each). Every commit holds the writer lock through its WAL flush, so instances on one database take turns: two instances')
  console.log('halve the hits a commit and pay its fixed cost twice as often (see docs/scaling.md, "How fast").')
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup()
}
