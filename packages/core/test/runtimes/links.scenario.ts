// Runs on Bun, Deno and workerd against the built @pytrack/core (see core.test.ts beside it):
// encodes and decodes pytracking's vectors and returns what came out, for Node to compare.
import * as core from '@pytrack/core'
import type { Metadata, PytrackingSettings } from '@pytrack/core'
import { pytrackingFields, refusal, type PytrackingFields, type Refusal } from '../../../../test-utils/scenario-kit.mjs'

export interface LinkCase {
  name: string
  kind: 'open' | 'click'
  config: PytrackingSettings
  metadata: Metadata | null
  url_to_track?: string
  url: string
}

export interface LinksInput {
  cases: LinkCase[]
  refusedPaths: string[]
}

export interface LinksOutput {
  /** navigator.userAgent, which names the runtime. */
  runtime: string | null
  links: { name: string; url: string; result: PytrackingFields }[]
  refused: { path: string; open: Refusal; click: Refusal }[]
  /** The pixel, base64. */
  pixel: string
}

export function run({ cases, refusedPaths }: LinksInput): LinksOutput {
  const configuration = new core.Configuration({ baseOpenTrackingUrl: 'https://t.example.com/o/', baseClickTrackingUrl: 'https://t.example.com/c/' })
  return {
    runtime: typeof navigator === 'undefined' ? null : navigator.userAgent,
    links: cases.map((c) => {
      const options = { configuration: core.Configuration.fromPytracking(c.config) }
      const url = c.kind === 'open' ? core.getOpenTrackingUrl(c.metadata, options) : core.getClickTrackingUrl(c.url_to_track ?? '', c.metadata, options)
      const decode = c.kind === 'open' ? core.getOpenTrackingResult : core.getClickTrackingResult
      return { name: c.name, url, result: pytrackingFields(decode(c.url, options)) }
    }),
    refused: refusedPaths.map((path) => ({
      path,
      open: refusal(() => core.getOpenTrackingResult(path, { configuration }), core.isPytrackError),
      click: refusal(() => core.getClickTrackingResult(path, { configuration }), core.isPytrackError),
    })),
    pixel: btoa(String.fromCharCode(...core.getOpenTrackingPixel()[0])),
  }
}
