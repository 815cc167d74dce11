// Runs on Bun, Deno and workerd against the built @pytrack/html (see runtimes.test.ts beside
// it): rewrites each email's links and adds the pixel, and returns the results for Node to compare.
import { Configuration, type Metadata, type PytrackingSettings } from '@pytrack/core'
import { adaptHtml, adaptText, type AdaptHtmlOptions, type AdaptHtmlResult, type AdaptTextResult } from '@pytrack/html'

export interface AdaptInput {
  /** The package's HTML fixtures. */
  emails: { name: string; html: string }[]
  /** pytracking's adapt_html vectors (fixtures/vectors/pytracking/html.json). */
  vectors: { name: string; html: string; metadata: Metadata; config: PytrackingSettings }[]
  text: string
}

export interface AdaptOutput {
  /** Each email adapted with each of the three option sets below. */
  emails: { name: string; results: AdaptHtmlResult[] }[]
  vectors: { name: string; result: AdaptHtmlResult }[]
  text: AdaptTextResult
}

export function run({ emails, vectors, text }: AdaptInput): AdaptOutput {
  const configuration = new Configuration({ baseOpenTrackingUrl: 'https://t.example.com/o/', baseClickTrackingUrl: 'https://t.example.com/c/' })
  const variants: AdaptHtmlOptions[] = [
    { configuration },
    { configuration, pixelPosition: 'top', linkMetadata: true, denyDomains: ['unsubscribe.example.com'] },
    { configuration, pixelPosition: { placeholder: '<!-- pytrack-pixel -->' } },
  ]
  return {
    emails: emails.map(({ name, html }) => ({ name, results: variants.map((options) => adaptHtml(html, { campaign: 'fall' }, options)) })),
    vectors: vectors.map((v) => ({ name: v.name, result: adaptHtml(v.html, v.metadata, { configuration: Configuration.fromPytracking(v.config) }) })),
    text: adaptText(text, { customer_id: 1 }, { configuration }),
  }
}
