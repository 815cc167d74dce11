import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

describe('@pytrack/crypto public surface', () => {
  it('exports exactly these names', async () => {
    const names = Object.keys(await import('./index')).sort()
    expect(names).toEqual([
      'Fernet',
      'InvalidKeyError',
      'InvalidTokenError',
      'LinkExpiredError',
      'MultiFernet',
      'fernetCodec',
      'signedCodec',
    ])
  })

  it('declares its one side effect (registering Fernet with core) so bundlers keep it', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      sideEffects: string[]
      exports: Record<string, { import?: { default: string }; require?: { default: string } }>
    }
    const entry = pkg.exports['.']
    expect(pkg.sideEffects).toEqual([entry?.import?.default, entry?.require?.default])
    expect(readFileSync(new URL('./index.ts', import.meta.url), 'utf8')).toMatch(/^registerKeyCodecFactory\(/m)
  })

  it('every error it exports is a pytrack error with its own code', async () => {
    const { InvalidKeyError, InvalidTokenError, LinkExpiredError } = await import('./index')
    const { isPytrackError } = await import('@pytrack/core')
    expect(isPytrackError(new InvalidKeyError('x'), 'ERR_PYTRACK_INVALID_KEY')).toBe(true)
    expect(isPytrackError(new InvalidTokenError(), 'ERR_PYTRACK_INVALID_TOKEN')).toBe(true)
    expect(isPytrackError(new LinkExpiredError('x', { issuedAt: 1, maxAgeSeconds: 2 }), 'ERR_PYTRACK_LINK_EXPIRED')).toBe(true)
    expect(new InvalidTokenError().name).toBe('InvalidTokenError')
  })
})
