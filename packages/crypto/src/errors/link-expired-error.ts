import { PytrackError, type PytrackErrorOptions } from '@pytrack/core'

/**
 * An authentic tracking link is older than the codec's `maxAgeSeconds`. Only thrown after
 * the link's tag or token has been verified, so it tells nothing to a forger.
 *
 * @example
 * ```ts
 * try {
 *   getClickTrackingResult(url, { configuration })
 * } catch (error) {
 *   if (isPytrackError(error, 'ERR_PYTRACK_LINK_EXPIRED')) return gone()
 *   throw error
 * }
 * ```
 */
export class LinkExpiredError extends PytrackError {
  /** When the link was made, in seconds since the epoch. */
  readonly issuedAt: number
  /** The age limit in force, in seconds. */
  readonly maxAgeSeconds: number

  constructor(message: string, issuedAt: number, maxAgeSeconds: number, options?: PytrackErrorOptions) {
    super('ERR_PYTRACK_LINK_EXPIRED', message, options)
    this.name = 'LinkExpiredError'
    this.issuedAt = issuedAt
    this.maxAgeSeconds = maxAgeSeconds
  }
}
