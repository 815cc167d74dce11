import type { ConfigurationError } from './configuration-error'
import type { InvalidArgumentError } from './invalid-argument-error'
import type { InvalidDestinationError } from './invalid-destination-error'
import type { InvalidLinkError } from './invalid-link-error'
import type { LinkTooLongError } from './link-too-long-error'
import type { MetadataError } from './metadata-error'

/**
 * Each error code and the class its errors are, so {@link isPytrackError} narrows to the right
 * subclass. Core lists its own codes; every other package adds its own by declaration merging,
 * next to the class (no edit to core):
 *
 * @example
 * ```ts
 * declare module '@pytrack/core' {
 *   interface PytrackErrorCodes {
 *     ERR_PYTRACK_INVALID_KEY: InvalidKeyError
 *   }
 * }
 * ```
 */
export interface PytrackErrorCodes {
  /** An option or setting is wrong: {@link ConfigurationError}. */
  ERR_PYTRACK_CONFIGURATION: ConfigurationError
  /** An argument is not of the expected type: {@link InvalidArgumentError}. */
  ERR_PYTRACK_INVALID_ARGUMENT: InvalidArgumentError
  /** The metadata cannot be written as JSON: {@link MetadataError}. */
  ERR_PYTRACK_METADATA: MetadataError
  /** A tracking link would be over `maxLinkLength`: {@link LinkTooLongError}. */
  ERR_PYTRACK_LINK_TOO_LONG: LinkTooLongError
  /** A tracking link does not decode: {@link InvalidLinkError}. */
  ERR_PYTRACK_INVALID_LINK: InvalidLinkError
  /** A click destination is not a URL the handler serves: {@link InvalidDestinationError}. */
  ERR_PYTRACK_INVALID_DESTINATION: InvalidDestinationError
}

/**
 * Every error code of the pytrack packages you import: core's and those each package adds to
 * {@link PytrackErrorCodes}, so `switch (error.code)` is checked by the compiler. Codes are
 * stable: they are API.
 *
 * @example
 * ```ts
 * const code: PytrackErrorCode = 'ERR_PYTRACK_INVALID_LINK'
 * if (isPytrackError(error, code)) return notFound()
 * ```
 */
export type PytrackErrorCode = Extract<keyof PytrackErrorCodes, string>
