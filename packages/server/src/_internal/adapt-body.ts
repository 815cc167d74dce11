import type { Configuration, Metadata } from '@pytrack/core'
import { adaptHtml, adaptText, type AdaptHtmlOptions } from '@pytrack/html'
import type { AdaptJob } from './adapt-pool'

/** The adapt options of a body the schema has checked; null means "the default". */
export function adaptOptions(body: Record<string, unknown>, configuration: Configuration): AdaptHtmlOptions {
  const options: AdaptHtmlOptions = { configuration }
  for (const key of ['clickTracking', 'openTracking', 'linkMetadata', 'pixelPosition', 'trapLink', 'allowDomains', 'denyDomains'] as const) {
    const value = body[key]
    if (value !== undefined && value !== null) Object.assign(options, { [key]: value })
  }
  return options
}

/** The response body of `/api/v1/adapt` (kind `html`) or `/api/v1/adapt-text` for a checked request body. */
export function adaptBody({ kind, body }: AdaptJob, configuration: Configuration): Record<string, unknown> {
  const metadata = (body.metadata ?? null) as Metadata | null
  if (kind === 'text') {
    const result = adaptText(body.text as string, metadata, adaptOptions(body, configuration))
    return { text: result.text, links: result.links.map((link) => ({ url: link.url, trackingUrl: link.trackingUrl })), warnings: result.warnings }
  }
  const result = adaptHtml(body.html as string, metadata, adaptOptions(body, configuration))
  return {
    html: result.html,
    links: result.links.map((link) => ({ url: link.url, trackingUrl: link.trackingUrl })),
    pixelUrl: result.pixel?.url ?? null,
    trapUrl: result.trapLink?.trackingUrl ?? null,
    warnings: result.warnings,
  }
}
