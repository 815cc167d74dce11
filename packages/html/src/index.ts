export { adaptHtml } from './adapt-html'
export { adaptText } from './adapt-text'
export { TRAP_METADATA_KEY } from './trap-link'
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
  TrapLinkInsertion,
  TrapLinkOption,
} from './types'
