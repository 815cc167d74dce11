// Type tests of the public API, checked by `pnpm typecheck` (tsc): a wrong type fails the build.
// Each `@ts-expect-error` is a call or value the types must refuse.
import { Configuration, type TrackingOptions } from '@pytrack/core'
import { expectTypeOf } from 'vitest'
import {
  adaptHtml,
  adaptText,
  type AdaptHtmlOptions,
  type AdaptHtmlResult,
  type AdaptTextOptions,
  type AdaptTextResult,
  type AdaptWarningCode,
  type LinkContext,
  type LinkMetadataCallback,
  type LinkPredicate,
  type PixelInsertion,
  type PixelPosition,
  type SkipReason,
  type SkippedLink,
  type TrackedLink,
} from '@pytrack/html'

const configuration = new Configuration({ baseOpenTrackingUrl: 'https://t.example.com/o/', baseClickTrackingUrl: 'https://t.example.com/c/' })

// Options: core's TrackingOptions plus which links to track and where the pixel goes.
expectTypeOf<AdaptTextOptions>().toExtend<TrackingOptions>()
expectTypeOf<AdaptHtmlOptions>().toExtend<AdaptTextOptions>()
expectTypeOf<'top'>().toExtend<PixelPosition>()
expectTypeOf<{ placeholder: string }>().toExtend<PixelPosition>()
expectTypeOf<'middle'>().not.toExtend<PixelPosition>()
expectTypeOf<LinkPredicate>().toEqualTypeOf<(link: LinkContext) => boolean>()
expectTypeOf<LinkMetadataCallback>().returns.toExtend<object | null | undefined>()
const options: AdaptHtmlOptions = {
  configuration,
  pixelPosition: { placeholder: '<!-- pixel -->' },
  linkMetadata: (link) => ({ link: link.id ?? link.index }),
  shouldTrackLink: (link) => link.tagName !== 'area' && link.attributes['class'] !== 'footer',
  denyDomains: ['unsubscribe.example.com'],
}
// @ts-expect-error: pixelPosition is 'top', 'bottom' or a placeholder
adaptHtml('<p></p>', null, { configuration, pixelPosition: 'middle' })
// @ts-expect-error: the HTML is a string
adaptHtml(new Uint8Array(1), null, options)
// @ts-expect-error: link contexts are read-only
const rename: LinkPredicate = (link) => ((link.url = 'x'), true)

// Results: the HTML, each tracked and skipped link, the pixel, warnings with codes.
const result = adaptHtml('<p></p>', { customer_id: 1 }, options)
expectTypeOf(result).toEqualTypeOf<AdaptHtmlResult>()
expectTypeOf(result.html).toEqualTypeOf<string>()
expectTypeOf(result.links).toEqualTypeOf<TrackedLink[]>()
expectTypeOf(result.skipped).toEqualTypeOf<SkippedLink[]>()
expectTypeOf(result.pixel).toEqualTypeOf<PixelInsertion | null>()
expectTypeOf(result.warnings[0]!.code).toEqualTypeOf<AdaptWarningCode>()
expectTypeOf<SkippedLink['reason']>().toEqualTypeOf<SkipReason>()
expectTypeOf<'opt-out' | 'placeholder' | 'not-http'>().toExtend<SkipReason>()
expectTypeOf(adaptText('https://example.com/', null, { configuration })).toEqualTypeOf<AdaptTextResult>()
expectTypeOf<AdaptTextResult>().not.toHaveProperty('pixel')
// @ts-expect-error: adaptText has no pixel option
adaptText('text', null, { configuration, openTracking: false })
