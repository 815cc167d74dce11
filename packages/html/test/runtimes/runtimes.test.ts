// The built @pytrack/html (dist, with its htmlparser2 and entities) on Bun, Deno and workerd
// (without nodejs_compat): every email comes out exactly as on Node, and pytracking's links are its own.
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { load } from 'cheerio'
import { describe, expect, it } from 'vitest'
import { RUNTIMES, runScenario } from '../../../../test-utils/runtimes'
import { loadVectors } from '../../../../test-utils/vectors'
import { run, type AdaptInput, type AdaptOutput } from './adapt.scenario'

const scenario = fileURLToPath(new URL('./adapt.scenario.ts', import.meta.url))
const fixtures = new URL('../../src/fixtures/', import.meta.url)
const [vectors] = loadVectors<{ cases: (AdaptInput['vectors'][number] & { pytracking_output: string; anchors: { rewritten: boolean }[] })[] }>(
  'pytracking/html.json',
)
const input: AdaptInput = {
  emails: readdirSync(fixtures)
    .filter((name) => name.endsWith('.html'))
    .sort()
    .map((name) => ({ name, html: readFileSync(new URL(name, fixtures), 'utf8') })),
  vectors: vectors!.data.cases,
  text: 'Sale: https://www.example.com/sale?a=1&b=2 — or (https://example.org/x).\nUnsubscribe: https://unsubscribe.example.com/u',
}
// On Node, from the sources; JSON, as the runtimes' answers travel.
const onNode = JSON.parse(JSON.stringify(run(input))) as AdaptOutput

describe.each(RUNTIMES)('@pytrack/html on %s', (runtime) => {
  it('adapts every fixture email exactly as Node does, with pytracking\'s links', async () => {
    const outcome = await runScenario<AdaptOutput>(runtime, scenario, input, { nodejsCompat: false })
    if (!('value' in outcome)) throw new Error(`${runtime}: ${outcome.error.name}: ${outcome.error.message}`)
    const got = outcome.value
    expect(got.emails.map((e) => e.name)).toEqual(['opt-outs-and-placeholders.html', 'outlook-vml.html', 'quoting-and-entities.html'])
    expect(got).toEqual(onNode)

    for (const email of got.emails) {
      const [bottom, top] = email.results
      expect(bottom!.links.length).toBeGreaterThan(0)
      expect(bottom!.pixel).not.toBeNull()
      expect(top!.links.every((link) => link.trackingUrl.startsWith('https://t.example.com/c/'))).toBe(true)
    }
    // The hrefs pytracking 0.2.1 itself wrote, where both rewrite an <a>.
    for (const [i, v] of vectors!.data.cases.entries()) {
      const theirs = load(v.pytracking_output)('a').toArray().map((a) => a.attribs.href)
      const ours = load(got.vectors[i]!.result.html)('a').toArray().map((a) => a.attribs.href)
      v.anchors.forEach((anchor, j) => {
        if (anchor.rewritten && ours[j] !== undefined && ours[j]!.startsWith('https://t.example.com/')) expect(ours[j]).toBe(theirs[j])
      })
    }
    expect(got.text.links.map((link) => link.url)).toEqual(['https://www.example.com/sale?a=1&b=2', 'https://example.org/x', 'https://unsubscribe.example.com/u'])
  })
})
