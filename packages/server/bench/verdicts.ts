// pnpm bench: machine verdicts measured, not asserted. (1) The labelled traffic generator
// (test/traffic.ts) drives a real server over HTTP on a simulated clock; the stored labels are
// scored against the truth, with verdicts and with the per-hit labels alone, for emails with
// and without the trap link. (2) The per-hit cost of verdicts: recorded opens (and clicks) a
// second, and per CPU-second of the server process, with verdicts on and off (each server in
// its own process, runs interleaved).
import { cpus } from 'node:os'
import autocannon from 'autocannon'
import { Fernet } from '@pytrack/crypto'
import { loadSettings, openSqliteEventStore, startServer } from '../src/index'
import type { TrackingEvent } from '../src/store/event-store'
import { tempDir } from '../test/helpers'
import { APPLE_RANGES, driveTraffic, planTraffic, scoreTraffic, simulatedClock, type LabelScore } from '../test/traffic'
import { cpuSeconds, startTarget, type Target } from './target-process'

const RECIPIENTS = 2_000
const SEED = 2026
const pct = (value: number): string => `${(value * 100).toFixed(1)}%`
const error = (measured: number, truth: number): string =>
  `${measured} (${truth === 0 ? 'n/a' : `${measured >= truth ? '+' : ''}${(((measured - truth) / truth) * 100).toFixed(1)}%`})`

async function accuracy(trapLink: boolean): Promise<void> {
  const key = Fernet.generateKey()
  const dir = tempDir('pytrack-verdict-bench-')
  const clock = simulatedClock(Date.now() - 86_400_000)
  const settings = loadSettings({ env: {}, overrides: { port: 0, dataDir: dir.path, logLevel: 'silent', keys: [key], trustedProxies: ['loopback'] } })
  const server = await startServer(settings, { clock: clock.now, classification: { applePrivateRelayRanges: APPLE_RANGES } })
  try {
    const { baseOpenTrackingUrl, baseClickTrackingUrl } = server.configuration
    const plan = planTraffic({ seed: SEED, recipients: RECIPIENTS, start: clock.now(), key, openBase: baseOpenTrackingUrl!, clickBase: baseClickTrackingUrl!, clock, trapLink })
    const started = performance.now()
    await driveTraffic(plan, server.url, clock)
    const seconds = (performance.now() - started) / 1000
    // The last relabelling writes follow their hit's answer: close() waits for them.
    await server.close()
    const events: TrackingEvent[] = []
    const store = openSqliteEventStore({ file: `${dir.path}/pytrack.db` })
    for (let after = 0; ; ) {
      const page = store.listEvents({ after, limit: 1000 })
      events.push(...page.items)
      after = page.items.at(-1)?.id ?? after
      if (!page.hasMore) break
    }
    store.close()
    const report = scoreTraffic(plan, events)
    console.log(`\nVerdicts on generated traffic, ${trapLink ? 'WITH' : 'WITHOUT'} the trap link: ${RECIPIENTS} emails, ${report.hits} hits sent over HTTP in ${seconds.toFixed(1)} s (seed ${SEED})`)
    console.log(`scenarios: ${Object.entries(plan.scenarios).map(([name, n]) => `${name} ${n}`).join(', ')}`)
    // Precision of a label that flagged nothing is not a figure: shown as n/a.
    const precision = (score: LabelScore): string => (score.flagged === 0 ? 'n/a' : pct(score.precision)).padStart(6)
    const row = (name: string, verdicts: LabelScore, perHit: LabelScore): void =>
      console.log(
        `${name.padEnd(16)} verdicts: recall ${pct(verdicts.recall).padStart(6)}  precision ${precision(verdicts)}   ` +
          `per-hit labels alone: recall ${pct(perHit.recall).padStart(6)}  precision ${precision(perHit)}   (${verdicts.machines} machine hits of this kind)`,
      )
    row('machine clicks', report.clicks.verdicts, report.clicks.perHit)
    row('machine opens', report.opens.verdicts, report.opens.perHit)
    for (const [name, figures] of [['people-only unique clicks', report.uniqueClicks], ['people-only unique opens', report.uniqueOpens]] as const) {
      console.log(`${name.padEnd(26)} truth ${figures.truth}   verdicts ${error(figures.verdicts, figures.truth)}   per-hit labels alone ${error(figures.perHit, figures.truth)}`)
    }
  } finally {
    dir.remove()
  }
}

interface Run {
  rps: number
  perCpu: number
}

async function measure(target: Target, path: string, seconds: number): Promise<Run> {
  const cpu = cpuSeconds([target.pid])
  const result = await autocannon({
    url: target.url + path,
    connections: 64,
    duration: seconds,
    headers: { 'user-agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)', accept: 'image/*', 'accept-language': 'en' },
  })
  return { rps: result.requests.average, perCpu: result.requests.total / Math.max(0.01, cpuSeconds([target.pid]) - cpu) }
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0

async function cost(kind: 'open' | 'click'): Promise<void> {
  const on = await startTarget('recorded', ['normal'])
  const off = await startTarget('recorded', ['normal', 'no-verdicts'])
  const runs: Record<'on' | 'off', Run[]> = { on: [], off: [] }
  const path = (target: Target): string => (kind === 'open' ? target.open : target.click)
  await measure(on, path(on), 2)
  await measure(off, path(off), 2)
  for (let i = 0; i < 3; i++) {
    runs.on.push(await measure(on, path(on), 5))
    runs.off.push(await measure(off, path(off), 5))
  }
  await Promise.all([on.stop(), off.stop()])
  const figures = (name: 'on' | 'off'): Run => ({ rps: median(runs[name].map((r) => r.rps)), perCpu: median(runs[name].map((r) => r.perCpu)) })
  const [a, b] = [figures('on'), figures('off')]
  const n = (value: number): string => Math.round(value).toLocaleString('en-US').padStart(7)
  console.log(`\nPer-hit cost of verdicts: recorded ${kind}s of one email (the bench workload's metadata), 64 connections, median of 3 interleaved runs of 5 s`)
  console.log(`verdicts off   ${n(b.rps)} ${kind}s/s   ${n(b.perCpu)} ${kind}s per server CPU-second`)
  console.log(`verdicts on    ${n(a.rps)} ${kind}s/s   ${n(a.perCpu)} ${kind}s per server CPU-second   (${pct(a.rps / b.rps)} and ${pct(a.perCpu / b.perCpu)} of off; aim: within 10%)`)
}

console.log(`Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} x ${cpus().length}`)
await accuracy(true)
await accuracy(false)
await cost('open')
// Clicks are the dearer case: each is judged against the email's recent clicks (all of them here, in one burst).
await cost('click')
console.log('(wall-clock figures are noisy on this shared machine; the per-CPU-second ratio is the steadier one)')
