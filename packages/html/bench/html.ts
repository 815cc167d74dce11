// adaptHtml over the whole email corpus (../shared/corpus/email), with the shared bench workload.
import { cpus } from 'node:os'
import { Configuration } from '@pytrack/core'
import { load } from 'cheerio'
import { benchWorkload, corpusFiles } from '../../../test-utils/vectors'
import { adaptHtml } from '../src/index'

const PYTRACKING_MB_PER_S = 27.5
const PYTRACKING_MS_PER_TEMPLATE = 1.24
const RUNS = 15

const files = corpusFiles()
console.log(`node ${process.version} on ${cpus()[0]?.model ?? 'an unknown CPU'}`)
if (files.length === 0) {
  console.log('adaptHtml bench skipped: ../shared/corpus/email is absent (it is not part of a fresh clone)')
} else {
  const configuration = new Configuration({
    baseOpenTrackingUrl: benchWorkload.baseOpenTrackingUrl,
    baseClickTrackingUrl: benchWorkload.baseClickTrackingUrl,
  })
  const metadata = benchWorkload.metadata
  const bytes = files.reduce((sum, file) => sum + Buffer.byteLength(file.html), 0)
  let sink = 0
  const pass = (): number => {
    const start = process.hrtime.bigint()
    for (const file of files) {
      sink += adaptHtml(file.html, metadata, { configuration, clickTracking: true, openTracking: true }).html.length
    }
    return Number(process.hrtime.bigint() - start) / 1e6
  }
  // For scale: what a DOM round trip costs before any rewriting (cheerio's parse5 load + serialise).
  const cheerioPass = (): number => {
    const start = process.hrtime.bigint()
    for (const file of files) sink += load(file.html).html().length
    return Number(process.hrtime.bigint() - start) / 1e6
  }
  const median = (run: () => number, runs: number): number => {
    for (let i = 0; i < 3; i++) run()
    const times = Array.from({ length: runs }, run).sort((a, b) => a - b)
    return times[Math.floor(runs / 2)]!
  }
  const ours = median(pass, RUNS)
  const dom = median(cheerioPass, 5)
  const row = (name: string, ms: number): string =>
    `  ${name.padEnd(30)} ${(bytes / 1e6 / (ms / 1000)).toFixed(1).padStart(7)} MB/s  ${(ms / files.length).toFixed(3)} ms a template`
  console.log(`adaptHtml, click + open tracking: ${files.length} templates, ${(bytes / 1e6).toFixed(2)} MB, median of runs after warm-up`)
  console.log(row('@pytrack/html adaptHtml', ours))
  console.log(`  ${'pytracking 0.2.1 adapt_html'.padEnd(30)} ${PYTRACKING_MB_PER_S.toFixed(1).padStart(7)} MB/s  ${PYTRACKING_MS_PER_TEMPLATE.toFixed(3)} ms a template (../shared/bench/README.md)`)
  console.log(row('cheerio load + html() only', dom))
  console.log(`  ratio to pytracking: ${(bytes / 1e6 / (ours / 1000) / PYTRACKING_MB_PER_S).toFixed(1)}x (goal: at least 3x)`)
  if (sink === 0) console.log('')
}
