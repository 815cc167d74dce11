import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { ConfigurationError, InvalidLinkError, PytrackError, isPytrackError } from './index'

describe('errors', () => {
  it('have a stable code, a name, and keep the cause', () => {
    const cause = new Error('inner')
    const error = new InvalidLinkError('tracking link is bad', { cause })
    expect(error).toBeInstanceOf(PytrackError)
    expect(error).toBeInstanceOf(Error)
    expect(error.code).toBe('ERR_PYTRACK_INVALID_LINK')
    expect(error.name).toBe('InvalidLinkError')
    expect(error.cause).toBe(cause)
    expect(isPytrackError(error, 'ERR_PYTRACK_INVALID_LINK')).toBe(true)
    expect(isPytrackError(error, 'ERR_PYTRACK_CONFIGURATION')).toBe(false)
    expect(isPytrackError(new ConfigurationError('x'))).toBe(true)
  })

  it('are recognised across realms, where instanceof fails', () => {
    const error = new InvalidLinkError('x')
    const foreign = runInNewContext('Object.assign(new Error("y"), { code: "ERR_PYTRACK_INVALID_LINK" })') as unknown
    expect(isPytrackError(foreign)).toBe(false)
    const sameBrand = runInNewContext(
      'const e = new Error("z"); Object.defineProperty(e, Symbol.for("@pytrack/error"), { value: true }); e.code = "ERR_PYTRACK_INVALID_LINK"; e',
    ) as unknown
    expect(sameBrand instanceof PytrackError).toBe(false)
    expect(isPytrackError(sameBrand, 'ERR_PYTRACK_INVALID_LINK')).toBe(true)
    expect(isPytrackError(error)).toBe(true)
    expect(isPytrackError(null)).toBe(false)
    expect(isPytrackError('ERR_PYTRACK_INVALID_LINK')).toBe(false)
  })
})

describe('classes shared by two copies of the package (ESM and CJS builds)', () => {
  it('recognise instances branded by the other copy', async () => {
    const { Configuration, TrackingResult, getOpenTrackingUrl } = await import('./index')
    // What another copy's instances look like from here: another prototype, the same registered brand.
    const otherPrototype = Object.defineProperty({}, Symbol.for('@pytrack/core/configuration'), { value: true })
    const foreign = Object.assign(Object.create(otherPrototype) as object, new Configuration({ baseOpenTrackingUrl: 'https://t.example.com/o/' }))
    expect(foreign instanceof Configuration).toBe(true)
    expect(getOpenTrackingUrl({}, { configuration: foreign as never })).toBe('https://t.example.com/o/e30=')
    expect({} instanceof Configuration).toBe(false)
    expect(new TrackingResult({ isOpenTracking: true, isClickTracking: false }) instanceof TrackingResult).toBe(true)
    expect({ isOpenTracking: true } instanceof TrackingResult).toBe(false)
  })
})
