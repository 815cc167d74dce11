export { adaptHtml } from './adapt-html'
export { adaptText } from './adapt-text'
export type {
  AdaptHtmlOptions,
  AdaptHtmlResult,
  AdaptTextOptions,
  AdaptTextResult,
  AdaptWarning,
  AdaptWarningCode,
  LinkContext,
  LinkMetadataCallback,
  LinkPredicate,
  PixelInsertion,
  PixelPosition,
  SkipReason,
  SkippedLink,
  TrackedLink,
} from './types'
