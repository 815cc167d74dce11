// The built @pytrack/crypto (dist) on Bun, Deno and workerd: Fernet on each runtime's own
// node:crypto (workerd with nodejs_compat), against tokens made by Python's cryptography.
import { fileURLToPath } from 'node:url'
import { Configuration, getClickTrackingResult } from '@pytrack/core'
import { describe, expect, it } from 'vitest'
import { RUNTIMES, runScenario } from '../../../../test-utils/runtimes'
import { loadVectors, type FernetInteropCase, type PytrackingLinkCase, type PytrackingVectorFile } from '../../../../test-utils/vectors'
import { Fernet, fernetCodec } from '../../src/index'
import { run, type FernetInput, type FernetOutput, type SealedLink } from './fernet.scenario'

const scenario = fileURLToPath(new URL('./fernet.scenario.ts', import.meta.url))
const [python] = loadVectors<FernetInteropCase[]>('fernet/python-interop.json')
const [sealed] = loadVectors<PytrackingVectorFile<PytrackingLinkCase>>('pytracking/encrypted.json')
const key = Fernet.generateKey()
const input: FernetInput = {
  pythonTokens: python!.data,
  sealedLinks: sealed!.data.cases as SealedLink[],
  seal: { key, url: 'https://www.example.com/über?q=1', metadata: { customer_id: 42, list: 'weekly' } },
}

describe.each(RUNTIMES)('@pytrack/crypto on %s', (runtime) => {
  it("reads and makes Python's Fernet tokens, opens pytracking's sealed links, and seals links Node opens", async () => {
    const outcome = await runScenario<FernetOutput>(runtime, scenario, input)
    if (!('value' in outcome)) throw new Error(`${runtime}: ${outcome.error.name}: ${outcome.error.message}`)
    const got = outcome.value

    const expired = { branded: true, name: 'InvalidTokenError', code: 'ERR_PYTRACK_INVALID_TOKEN' }
    expect(got.python).toEqual(
      python!.data.map((c) => ({
        desc: c.desc,
        plaintext: c.plaintext_utf8,
        withinTtl: c.plaintext_utf8,
        expired,
        timestamp: c.token_timestamp,
        sameToken: true,
      })),
    )
    expect(got.roundTrip).toBe(true)
    expect(got.rotated).toBe(true)
    expect(got.wrongKey).toEqual(expired)
    expect(got.badKey).toMatchObject({ branded: true, code: 'ERR_PYTRACK_INVALID_KEY' })
    expect(got.sealedLinks).toEqual(
      sealed!.data.cases.map((c) => ({ name: c.name, ...c.result })),
    )

    // A token sealed with the runtime's node:crypto opens on Node's.
    const configuration = new Configuration({ baseClickTrackingUrl: 'https://t.example.com/c/', codec: fernetCodec(key) })
    const opened = getClickTrackingResult(got.sealedHere, { configuration })
    expect(opened.trackedUrl).toBe(input.seal.url)
    expect(opened.metadata).toEqual(input.seal.metadata)

    // HMAC-signed links: the same bytes as on Node, refused when forged.
    const node = run(input)
    expect(got.signed).toEqual(node.signed)
    expect(got.signed.forged).toMatchObject({ branded: true, code: 'ERR_PYTRACK_INVALID_LINK' })
  })
})

describe('@pytrack/crypto on workerd without nodejs_compat', () => {
  it('does not start, and the error names the missing node:crypto', async () => {
    await expect(runScenario('workerd', scenario, input, { nodejsCompat: false })).rejects.toThrow(/node:crypto/)
  })
})
