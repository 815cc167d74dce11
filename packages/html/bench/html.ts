// adaptHtml over the whole email corpus (../shared/corpus/email), with the shared bench workload,
// and its tokenizing step alone next to htmlparser2's bare Tokenizer and the hand-written scanner
// the package used before (kept here only, in previous-hand-scanner.ts, for comparison).
import { cpus } from 'node:os'
import { Configuration } from '@pytrack/core'
import { load } from 'cheerio'
import { Tokenizer, type TokenizerCallbacks } from 'htmlparser2'
import { benchWorkload, corpusFiles } from '../../../test-utils/vectors'
import { findLinks } from '../src/_internal/find-links'
import { adaptHtml } from '../src/index'
import { scanHtml } from './previous-hand-scanner'

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
  const noop = (): void => {}
  const bare: TokenizerCallbacks = {
    onattribdata: noop, onattribentity: noop, onattribend: noop, onattribname: noop, oncdata: noop,
    onclosetag: noop, oncomment: noop, ondeclaration: noop, onend: noop, onopentagend: noop,
    onopentagname: noop, onprocessinginstruction: noop, onselfclosingtag: noop, ontext: noop, ontextentity: noop,
  }
  const passes: [string, () => void, number][] = [
    ['@pytrack/html adaptHtml', () => {
      for (const file of files) sink += adaptHtml(file.html, metadata, { configuration, clickTracking: true, openTracking: true }).html.length
    }, RUNS],
    ['  its tokenizing step alone', () => {
      for (const file of files) sink += findLinks(file.html, true).elements.length
    }, RUNS],
    ['  htmlparser2 Tokenizer, no-op', () => {
      for (const file of files) {
        const tokenizer = new Tokenizer({ decodeEntities: false }, bare)
        tokenizer.write(file.html)
        tokenizer.end()
      }
    }, RUNS],
    ['  previous hand scanner', () => {
      for (const file of files) sink += scanHtml(file.html, true).elements.length
    }, RUNS],
    // For scale: what a DOM round trip costs before any rewriting (cheerio's parse5 load + serialise).
    ['cheerio load + html() only', () => {
      for (const file of files) sink += load(file.html).html().length
    }, 5],
  ]
  /** Median wall-clock and CPU milliseconds of `runs` passes after three warm-up passes. */
  const measure = (pass: () => void, runs: number): { wall: number; cpu: number } => {
    for (let i = 0; i < 3; i++) pass()
    const wall: number[] = []
    const cpu: number[] = []
    for (let i = 0; i < runs; i++) {
      const start = process.hrtime.bigint()
      const startCpu = process.cpuUsage()
      pass()
      const usage = process.cpuUsage(startCpu)
      wall.push(Number(process.hrtime.bigint() - start) / 1e6)
      cpu.push((usage.user + usage.system) / 1000)
    }
    const median = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!
    return { wall: median(wall), cpu: median(cpu) }
  }
  const rate = (ms: number): string => (bytes / 1e6 / (ms / 1000)).toFixed(1).padStart(7)
  console.log(`adaptHtml, click + open tracking: ${files.length} templates, ${(bytes / 1e6).toFixed(2)} MB, median of runs after warm-up`)
  console.log(`  ${''.padEnd(32)} ${'wall clock'.padStart(12)} ${'CPU time'.padStart(12)}  ms a template (wall)`)
  let ours = 0
  for (const [name, pass, runs] of passes) {
    const { wall, cpu } = measure(pass, runs)
    if (ours === 0) ours = wall
    console.log(`  ${name.padEnd(32)} ${rate(wall)} MB/s ${rate(cpu)} MB/s  ${(wall / files.length).toFixed(3)}`)
  }
  console.log(`  ${'pytracking 0.2.1 adapt_html'.padEnd(32)} ${PYTRACKING_MB_PER_S.toFixed(1).padStart(7)} MB/s ${''.padStart(12)}  ${PYTRACKING_MS_PER_TEMPLATE.toFixed(3)} (../shared/bench/README.md)`)
  console.log(`  ratio to pytracking (wall clock): ${(bytes / 1e6 / (ours / 1000) / PYTRACKING_MB_PER_S).toFixed(1)}x (goal: at least 3x)`)
  if (sink === 0) console.log('')
}
