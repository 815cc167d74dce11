import { PytrackError, type PytrackErrorOptions } from './pytrack-error'

/**
 * Options of a {@link LinkTooLongError}: {@link PytrackErrorOptions} plus the lengths.
 *
 * @example
 * ```ts
 * throw new LinkTooLongError('the link would be 2100 characters', { length: 2100, maxLength: 2048 })
 * ```
 */
export interface LinkTooLongErrorOptions extends PytrackErrorOptions {
  /** The length the link would have had. */
  length: number
  /** The limit in force. */
  maxLength: number
}

/**
 * A tracking link would be longer than `maxLinkLength` (some mail clients break longer links).
 *
 * @example
 * ```ts
 * getClickTrackingUrl(url, hugeMetadata, { configuration }) // throws LinkTooLongError
 * ```
 */
export class LinkTooLongError extends PytrackError {
  /** The length the link would have had. */
  readonly length: number
  /** The limit in force. */
  readonly maxLength: number

  constructor(message: string, options: LinkTooLongErrorOptions) {
    super(message, { ...options, code: 'ERR_PYTRACK_LINK_TOO_LONG' })
    this.name = 'LinkTooLongError'
    this.length = options.length
    this.maxLength = options.maxLength
  }
}
