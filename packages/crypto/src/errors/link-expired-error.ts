import { PytrackError, type PytrackErrorOptions } from '@pytrack/core'

/**
 * Options of a {@link LinkExpiredError}: {@link PytrackErrorOptions} plus its fields.
 *
 * @example
 * ```ts
 * throw new LinkExpiredError('the tracking link expired', { issuedAt: 1767225600, maxAgeSeconds: 86400 })
 * ```
 */
export interface LinkExpiredErrorOptions extends PytrackErrorOptions {
  /** When the link was made, in seconds since the epoch. */
  issuedAt: number
  /** The age limit in force, in seconds. */
  maxAgeSeconds: number
}

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

  constructor(message: string, options: LinkExpiredErrorOptions) {
    super(message, { ...options, code: 'ERR_PYTRACK_LINK_EXPIRED' })
    this.name = 'LinkExpiredError'
    this.issuedAt = options.issuedAt
    this.maxAgeSeconds = options.maxAgeSeconds
  }
}

declare module '@pytrack/core' {
  interface PytrackErrorCodes {
    ERR_PYTRACK_LINK_EXPIRED: LinkExpiredError
  }
}
