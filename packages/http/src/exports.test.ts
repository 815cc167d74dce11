import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

// The subpaths are package.json's exports (the one list of entry points: the build and the API
// docs read it too); each adapter's own test pins the names its subpath exports.
const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { exports: Record<string, unknown> }
const adapters = Object.keys(manifest.exports).filter((subpath) => subpath !== '.' && subpath !== './package.json').map((subpath) => subpath.slice(2))

describe('public API', () => {
  it('@pytrack/http exports exactly these names', async () => {
    expect(Object.keys(await import('./index')).sort()).toEqual(['RedirectRefusedError', 'classifyClient', 'createTrackingHandler'])
  })

  it.each(adapters)('@pytrack/http/%s has its source, and a test that runs the behaviour suite and pins its names', (adapter) => {
    expect(existsSync(new URL(`./${adapter}.ts`, import.meta.url))).toBe(true)
    const test = readFileSync(new URL(`./${adapter}.test.ts`, import.meta.url), 'utf8')
    expect(test).toContain('describeTrackingBehaviour(')
    expect(test).toContain("it('exports exactly these names'")
  })
})
