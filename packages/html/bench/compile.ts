// Personalised emails a second over the email corpus (../shared/corpus/email), one core: adaptHtml
// once per recipient against a template compiled once (compileHtml) and rendered per recipient,
// with base64 and with Fernet links; and, for Fernet, the cost of making the links alone
// (getClickTrackingUrl for each distinct link plus getOpenTrackingUrl), the floor for any renderer.
import { Configuration, getClickTrackingUrl, getOpenTrackingUrl, type Metadata } from '@pytrack/core'
import { fernetCodec } from '@pytrack/crypto'
import { adaptHtml, compileHtml } from '@pytrack/html'
import { printMachine } from '../../../test-utils/bench'
import { benchWorkload, corpusFiles } from '../../../test-utils/vectors'

const WARM_UP = 2
const RUNS = 9

const files = corpusFiles()
printMachine('Personalised emails: adaptHtml per recipient vs compileHtml once + render')
if (files.length === 0) {
  console.log('compileHtml bench skipped: ../shared/corpus/email is absent (it is not part of a fresh clone)')
} else {
  const base = new Configuration({
    baseOpenTrackingUrl: benchWorkload.baseOpenTrackingUrl,
    baseClickTrackingUrl: benchWorkload.baseClickTrackingUrl,
  })
  const recipient = (i: number): Metadata => ({ ...benchWorkload.metadata, message_id: `<${i}.campaign@example.com>` })
  let sink = 0

  for (const [label, configuration, recipients] of [
    ['base64 links', base, 40],
    ['Fernet links', base.with({ codec: fernetCodec(benchWorkload.fernetKey) }), 4],
  ] as const) {
    const templates = files.map((file) => compileHtml(file.html, { configuration }))
    // The distinct destinations each template tracks, for the links-alone pass.
    const destinations = files.map((file) => [...new Set(adaptHtml(file.html, null, { configuration }).links.map((link) => link.url))])
    const emails = files.length * recipients
    const passes: [string, () => void][] = [
      ['adaptHtml per recipient', () => {
        for (const file of files) for (let r = 0; r < recipients; r++) sink += adaptHtml(file.html, recipient(r), { configuration }).html.length
      }],
      ['compiled template, render', () => {
        for (const template of templates) for (let r = 0; r < recipients; r++) sink += template.render(recipient(r)).html.length
      }],
      ['the links alone (no HTML)', () => {
        for (const urls of destinations) {
          for (let r = 0; r < recipients; r++) {
            const metadata = recipient(r)
            for (const url of urls) sink += getClickTrackingUrl(url, metadata, { configuration }).length
            sink += getOpenTrackingUrl(metadata, { configuration }).length
          }
        }
      }],
    ]
    const cpu: number[][] = passes.map(() => [])
    // Round robin, so that the load of a busy machine falls on every pass alike.
    for (let round = 0; round < WARM_UP + RUNS; round++) {
      passes.forEach(([, pass], i) => {
        const start = process.cpuUsage()
        pass()
        const used = process.cpuUsage(start)
        if (round >= WARM_UP) cpu[i]!.push((used.user + used.system) / 1e6)
      })
    }
    const median = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!
    const rates = cpu.map((seconds) => emails / median(seconds))
    const links = destinations.reduce((sum, urls) => sum + urls.length, 0)
    console.log(`${label}: ${files.length} templates x ${recipients} recipients, ${(links / files.length).toFixed(1)} distinct links a template; emails per CPU-second, median of ${RUNS} runs`)
    passes.forEach(([name], i) => console.log(`  ${name.padEnd(30)} ${Math.round(rates[i]!).toLocaleString('en-US').padStart(10)}/s`))
    const [adapt, compiled, alone] = rates as [number, number, number]
    console.log(`  compiled / adaptHtml: ${(compiled / adapt).toFixed(1)}x; compiled / links alone: ${((compiled / alone) * 100).toFixed(0)}%`)
  }
  console.log('  (goals: base64 compiled >= 10x adaptHtml; Fernet compiled within 20% of the links alone. CPU time of this process: steadier than wall clock on a shared machine, still noisy)')
  if (sink === 0) console.log('')
}
