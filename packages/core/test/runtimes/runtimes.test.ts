// The built @pytrack/core (dist) on Bun, Deno and workerd (without nodejs_compat: core needs
// nothing from Node): pytracking's links come out byte for byte and decode to its results.
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { RUNTIMES, runScenario } from '../../../../test-utils/runtimes'
import {
  loadVectors,
  type PytrackingDecodeErrorCase,
  type PytrackingLinkCase,
  type PytrackingVectorFile,
} from '../../../../test-utils/vectors'
import { run, type LinkCase, type LinksInput, type LinksOutput } from './links.scenario'

const scenario = fileURLToPath(new URL('./links.scenario.ts', import.meta.url))
const [encode] = loadVectors<PytrackingVectorFile<PytrackingLinkCase>>('pytracking/encode.json')
const [refusals] = loadVectors<PytrackingVectorFile<PytrackingDecodeErrorCase>>('pytracking/decode-errors.json')
const input: LinksInput = {
  cases: encode!.data.cases as LinkCase[],
  refusedPaths: refusals!.data.cases.filter((c) => c.pytracking_raises).map((c) => c.path),
}

describe.each(RUNTIMES)('@pytrack/core on %s', (runtime) => {
  it("makes pytracking's links byte for byte and decodes them to its results", async () => {
    const outcome = await runScenario<LinksOutput>(runtime, scenario, input, { nodejsCompat: false })
    if (!('value' in outcome)) throw new Error(`${runtime}: ${outcome.error.name}: ${outcome.error.message}`)
    const { links, refused, pixel, runtime: agent } = outcome.value
    expect(agent ?? '').toMatch(runtime === 'workerd' ? /Cloudflare-Workers/ : new RegExp(runtime, 'i'))
    expect(links).toHaveLength(encode!.data.cases.length)
    for (const [i, c] of encode!.data.cases.entries()) {
      expect(links[i]).toEqual({ name: c.name, url: c.url, result: c.result })
    }
    expect(pixel).toBe(encode!.data.meta.pixel_png_base64)
    // Refused exactly as on Node, each with a typed error.
    expect(refused).toEqual(run(input).refused)
    expect(refused.flatMap((r) => [r.open, r.click]).filter((e) => e !== null).every((e) => e.branded)).toBe(true)
  })
})
