export { adaptHtml } from './adapt-html'
export { adaptText } from './adapt-text'
export { TRAP_METADATA_KEY } from './trap-link'
export { compileHtml } from './compile-html'
export type { CompiledHtml } from './compile-html'
export { compileText } from './compile-text'
export type { CompiledText } from './compile-text'
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
