// adaptHtml over the whole email corpus (../shared/corpus/email), with the shared bench workload,
// and its tokenizing step alone next to htmlparser2's bare Tokenizer.
import { cpus } from 'node:os'
import { Configuration } from '@pytrack/core'
import { load } from 'cheerio'
import { Tokenizer, type TokenizerCallbacks } from 'htmlparser2'
import { benchWorkload, corpusFiles } from '../../../test-utils/vectors'
import { findLinks } from '../src/_internal/find-links'
import { adaptHtml } from '@pytrack/html'

const PYTRACKING_MB_PER_S = 27.5
const PYTRACKING_MS_PER_TEMPLATE = 1.24
const WARM_UP = 3
const RUNS = 21

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
  const passes: [string, () => void][] = [
    ['@pytrack/html adaptHtml', () => {
      for (const file of files) sink += adaptHtml(file.html, metadata, { configuration, clickTracking: true, openTracking: true }).html.length
    }],
    ['  its tokenizing step alone', () => {
      for (const file of files) sink += findLinks(file.html, true).elements.length
    }],
    ['  htmlparser2 Tokenizer, no-op', () => {
      for (const file of files) {
        const tokenizer = new Tokenizer({ decodeEntities: false }, bare)
        tokenizer.write(file.html)
        tokenizer.end()
      }
    }],
  ]
  // Round robin, so that the load of a busy machine falls on every pass alike.
  const wall: number[][] = passes.map(() => [])
  const cpu: number[][] = passes.map(() => [])
  for (let round = 0; round < WARM_UP + RUNS; round++) {
    passes.forEach(([, pass], i) => {
      const start = process.hrtime.bigint()
      const startCpu = process.cpuUsage()
      pass()
      const usage = process.cpuUsage(startCpu)
      if (round < WARM_UP) return
      wall[i]!.push(Number(process.hrtime.bigint() - start) / 1e6)
      cpu[i]!.push((usage.user + usage.system) / 1000)
    })
  }
  const median = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!
  const rate = (ms: number): string => (bytes / 1e6 / (ms / 1000)).toFixed(1).padStart(7)
  console.log(`adaptHtml, click + open tracking: ${files.length} templates, ${(bytes / 1e6).toFixed(2)} MB, median of ${RUNS} runs after ${WARM_UP} warm-up runs`)
  console.log(`  ${''.padEnd(32)} ${'wall clock'.padStart(12)} ${'CPU time'.padStart(12)}  ms a template (wall)`)
  passes.forEach(([name], i) => {
    const ms = median(wall[i]!)
    console.log(`  ${name.padEnd(32)} ${rate(ms)} MB/s ${rate(median(cpu[i]!))} MB/s  ${(ms / files.length).toFixed(3)}`)
  })
  const ours = median(wall[0]!)
  // For scale: what a DOM round trip costs before any rewriting (cheerio's parse5 load + serialise).
  // Measured last and apart: its garbage would slow the passes that follow it.
  const dom: number[] = []
  for (let round = 0; round < 6; round++) {
    const start = process.hrtime.bigint()
    for (const file of files) sink += load(file.html).html().length
    if (round > 0) dom.push(Number(process.hrtime.bigint() - start) / 1e6)
  }
  console.log(`  ${'cheerio load + html() only'.padEnd(32)} ${rate(median(dom))} MB/s ${''.padStart(12)}  ${(median(dom) / files.length).toFixed(3)}`)
  console.log(`  ${'pytracking 0.2.1 adapt_html'.padEnd(32)} ${PYTRACKING_MB_PER_S.toFixed(1).padStart(7)} MB/s ${''.padStart(12)}  ${PYTRACKING_MS_PER_TEMPLATE.toFixed(3)} (../shared/bench/README.md)`)
  console.log(`  ratio to pytracking (wall clock): ${(bytes / 1e6 / (ours / 1000) / PYTRACKING_MB_PER_S).toFixed(1)}x (goal: at least 3x)`)
  if (sink === 0) console.log('')
}
