// pytracking 0.2.1's own output (fixtures/vectors/pytracking, and ../shared when present):
// every link must be byte-identical, decode to pytracking's result, and every refused path be refused.
import { describe, expect, it } from 'vitest'
import { decodeAsPytracking as resultOf } from '../../../test-utils/pytracking'
import {
  loadVectors,
  type PytrackingDecodeErrorCase,
  type PytrackingLinkCase,
  type PytrackingVectorFile,
} from '../../../test-utils/vectors'
import {
  Configuration,
  getClickTrackingResult,
  getClickTrackingUrl,
  getOpenTrackingPixel,
  getOpenTrackingResult,
  getOpenTrackingUrl,
  isPytrackError,
  type Metadata,
} from './index'

for (const { source, data } of loadVectors<PytrackingVectorFile<PytrackingLinkCase>>('pytracking/encode.json')) {
  describe(`pytracking encode vectors (${source})`, () => {
    it('has cases', () => {
      expect(data.cases.length).toBeGreaterThan(0)
    })

    it.each(data.cases.map((c) => [c.name, c] as const))('%s: byte-identical link', (_, c) => {
      const configuration = Configuration.fromPytracking(c.config)
      const url =
        c.kind === 'open'
          ? getOpenTrackingUrl(c.metadata as Metadata | null, { configuration })
          : getClickTrackingUrl(c.url_to_track ?? '', c.metadata as Metadata | null, { configuration })
      expect(url).toBe(c.url)
    })

    it.each(data.cases.map((c) => [c.name, c] as const))("%s: decodes to pytracking's result", (_, c) => {
      const configuration = Configuration.fromPytracking(c.config)
      expect(resultOf(c.kind, c.url, configuration)).toEqual(c.result)
      // pytracking's own decoder is handed the bare path too.
      const base = c.kind === 'open' ? c.config.base_open_tracking_url : c.config.base_click_tracking_url
      const path = c.url.slice(String(base).length).replace(/\/$/, '')
      expect(resultOf(c.kind, path, configuration)).toEqual(c.result)
    })

    it('serves the same pixel as pytracking', () => {
      const [pixel, mime] = getOpenTrackingPixel()
      expect(Buffer.from(pixel).toString('base64')).toBe(data.meta.pixel_png_base64)
      expect(pixel.length).toBe(68)
      expect(mime).toBe(data.meta.pixel_mime)
    })
  })
}

for (const { source, data } of loadVectors<PytrackingVectorFile<PytrackingDecodeErrorCase>>('pytracking/decode-errors.json')) {
  describe(`pytracking decode-error vectors (${source})`, () => {
    const configuration = new Configuration({
      baseOpenTrackingUrl: 'https://t.example.com/o/',
      baseClickTrackingUrl: 'https://t.example.com/c/',
    })
    it.each(data.cases.filter((c) => c.pytracking_raises).map((c) => [c.name, c] as const))(
      '%s: refused with a typed error',
      (_, c) => {
        for (const decode of [getOpenTrackingResult, getClickTrackingResult]) {
          let thrown: unknown
          try {
            decode(c.path, { configuration })
          } catch (error) {
            thrown = error
          }
          if (thrown === undefined && isUnpadded(c.path)) {
            // The one deliberate leniency (see the README): Python refuses base64 without its
            // `=` padding; we read it, and it must then mean what the padded token means.
            const padded = c.path + '='.repeat((4 - (c.path.length % 4)) % 4)
            expect(decode(c.path, { configuration, timestamp: 0 })).toEqual(decode(padded, { configuration, timestamp: 0 }))
            continue
          }
          expect(isPytrackError(thrown)).toBe(true)
          expect((thrown as Error).message).not.toContain(c.path || '\u0000')
        }
      },
    )
  })
}

function isUnpadded(path: string): boolean {
  return /^[A-Za-z0-9_-]+$/.test(path) && path.length % 4 !== 0
}
