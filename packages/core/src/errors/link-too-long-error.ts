import { PytrackError, type PytrackErrorOptions } from './pytrack-error'

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

  constructor(message: string, length: number, maxLength: number, options?: PytrackErrorOptions) {
    super('ERR_PYTRACK_LINK_TOO_LONG', message, options)
    this.name = 'LinkTooLongError'
    this.length = length
    this.maxLength = maxLength
  }
}
