// adaptHtml over the whole email corpus (../shared/corpus/email), with the shared bench workload.
import { cpus } from 'node:os'
import { Configuration } from '@pytrack/core'
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
  for (let i = 0; i < 5; i++) pass()
  const times = Array.from({ length: RUNS }, pass).sort((a, b) => a - b)
  const median = times[Math.floor(RUNS / 2)]!
  const mbPerS = bytes / 1e6 / (median / 1000)
  const msPerTemplate = median / files.length
  console.log(`adaptHtml: ${files.length} templates, ${(bytes / 1e6).toFixed(2)} MB, median of ${RUNS} runs after warm-up`)
  console.log(`  @pytrack/html  ${mbPerS.toFixed(1)} MB/s  ${msPerTemplate.toFixed(3)} ms a template`)
  console.log(`  pytracking     ${PYTRACKING_MB_PER_S.toFixed(1)} MB/s  ${PYTRACKING_MS_PER_TEMPLATE.toFixed(3)} ms a template (0.2.1, Python 3.11, ../shared/bench/README.md)`)
  console.log(`  ratio          ${(mbPerS / PYTRACKING_MB_PER_S).toFixed(1)}x (goal: at least 3x)`)
  if (sink === 0) console.log('')
}
