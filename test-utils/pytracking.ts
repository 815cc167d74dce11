// What pytracking's vector files record of a decoded link, computed with @pytrack/core.
import { expect } from 'vitest'
import { getClickTrackingResult, getClickTrackingUrl, getOpenTrackingResult, toPythonJson, type Configuration, type Metadata } from '@pytrack/core'
import { pytrackingFields } from './scenario-kit.mjs'
import type { PytrackingLinkCase } from './vectors'

/** Decodes `url` and returns the fields a vector's `result` holds, in pytracking's names. */
export function decodeAsPytracking(
  kind: 'open' | 'click',
  url: string,
  configuration: Configuration,
): PytrackingLinkCase['result'] {
  const result =
    kind === 'open' ? getOpenTrackingResult(url, { configuration }) : getClickTrackingResult(url, { configuration })
  return pytrackingFields(result)
}

/** Makes a click link for `url` and `metadata` and checks it decodes back to both. */
export function expectClickRoundTrip(url: string, metadata: Metadata, configuration: Configuration): void {
  const result = getClickTrackingResult(getClickTrackingUrl(url, metadata, { configuration }), { configuration })
  expect(result.trackedUrl).toBe(url)
  expect(result.metadata).toEqual(JSON.parse(JSON.stringify(metadata)))
}

/**
 * A click link for any destination, sealed with the configuration's codec but without core's
 * destination rule: what pytracking (which has no such rule) or someone forging links makes.
 */
export function unruledClickLink(destination: string, configuration: Configuration): string {
  return `${configuration.baseClickTrackingUrl ?? ''}${configuration.codec.seal(toPythonJson({ url: destination }))}`
}
