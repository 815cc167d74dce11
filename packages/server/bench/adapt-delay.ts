// How long the largest adapt request the API takes holds the event loop the pixels and redirects
// share: `tsx --tsconfig ../../tsconfig.bench.json bench/adapt-delay.ts`. Prints the worst
// event-loop delay (perf_hooks.monitorEventLoopDelay) over 5 requests of each kind. The client runs
// in the same process, so its own JSON work counts too: the figure is an upper bound.
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { startTestServer } from '../test/helpers'
import { MAX_ADAPT_LINKS } from '../src/_internal/adapt-limit'

const server = await startTestServer()
const filler = 'lorem ipsum dolor sit amet '.repeat(37_000).slice(0, 1_000_000)
const links = Array.from({ length: Number(process.env.LINKS ?? MAX_ADAPT_LINKS) }, (_, i) => `<a href="https://example.com/${i}">x</a>`).join('\n')
const cases = {
  [`adapt, ${MAX_ADAPT_LINKS} links + 1 MB`]: ['/api/v1/adapt', { html: `<body>${links}<p>${filler}</p></body>` }],
  [`adapt-text, ${MAX_ADAPT_LINKS} URLs + 1 MB`]: ['/api/v1/adapt-text', { text: `${'see https://example.com/a '.repeat(MAX_ADAPT_LINKS)}${filler}` }],
  'adapt-text, 110,000 URLs (refused)': ['/api/v1/adapt-text', { text: 'https://e.com/x '.repeat(61_875) }],
} as const
for (const [name, [path, json]] of Object.entries(cases)) {
  await server.api(path, { method: 'POST', json })
  const delay = monitorEventLoopDelay({ resolution: 1 })
  delay.enable()
  for (let i = 0; i < 5; i++) await server.api(path, { method: 'POST', json })
  delay.disable()
  console.log(`${name.padEnd(40)} worst event-loop delay ${(delay.max / 1e6).toFixed(1)} ms, p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms (aim < 50 ms; 89.8 ms worst when adapting on the event loop)`)
}
await server.stop()
