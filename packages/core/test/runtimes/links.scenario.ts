// Runs on Bun, Deno and workerd against the built @pytrack/core (see core.test.ts beside it):
// encodes and decodes pytracking's vectors and returns what came out, for Node to compare.
import {
  Configuration,
  getClickTrackingResult,
  getClickTrackingUrl,
  getOpenTrackingPixel,
  getOpenTrackingResult,
  getOpenTrackingUrl,
  isPytrackError,
  type Metadata,
  type PytrackingSettings,
  type TrackingResult,
} from '@pytrack/core'

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

/** A decoded link in pytracking's names, as the vectors record it. */
export interface LinkFields {
  is_open_tracking: boolean
  is_click_tracking: boolean
  tracked_url: string | null
  webhook_url: string | null
  metadata: Metadata
}

/** What a refused link threw: null when it did not throw. */
export type Refusal = { branded: boolean; name: string; code: unknown } | null

export interface LinksOutput {
  /** navigator.userAgent, which names the runtime. */
  runtime: string | null
  links: { name: string; url: string; result: LinkFields }[]
  refused: { path: string; open: Refusal; click: Refusal }[]
  /** The pixel, base64. */
  pixel: string
}

function fields(result: TrackingResult): LinkFields {
  return {
    is_open_tracking: result.isOpenTracking,
    is_click_tracking: result.isClickTracking,
    tracked_url: result.trackedUrl,
    webhook_url: result.webhookUrl,
    metadata: result.metadata,
  }
}

function refusal(decode: () => unknown): Refusal {
  try {
    decode()
    return null
  } catch (error) {
    return { branded: isPytrackError(error), name: (error as Error).name, code: (error as { code?: unknown }).code }
  }
}

export function run({ cases, refusedPaths }: LinksInput): LinksOutput {
  const configuration = new Configuration({ baseOpenTrackingUrl: 'https://t.example.com/o/', baseClickTrackingUrl: 'https://t.example.com/c/' })
  return {
    runtime: typeof navigator === 'undefined' ? null : navigator.userAgent,
    links: cases.map((c) => {
      const options = { configuration: Configuration.fromPytracking(c.config) }
      const url = c.kind === 'open' ? getOpenTrackingUrl(c.metadata, options) : getClickTrackingUrl(c.url_to_track ?? '', c.metadata, options)
      const decode = c.kind === 'open' ? getOpenTrackingResult : getClickTrackingResult
      return { name: c.name, url, result: fields(decode(c.url, options)) }
    }),
    refused: refusedPaths.map((path) => ({
      path,
      open: refusal(() => getOpenTrackingResult(path, { configuration })),
      click: refusal(() => getClickTrackingResult(path, { configuration })),
    })),
    pixel: btoa(String.fromCharCode(...getOpenTrackingPixel()[0])),
  }
}
