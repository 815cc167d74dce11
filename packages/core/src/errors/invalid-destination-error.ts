import { PytrackError, type PytrackErrorOptions } from './pytrack-error'

/**
 * Why a string is not a click destination: `not-http` (another scheme, or a relative URL) or
 * `invalid-url` (written as http(s) but malformed, or read differently by a browser than by the
 * redirect: `https:/host`, a backslash, a control character, a lone surrogate).
 *
 * @example
 * ```ts
 * const reason: InvalidDestinationReason = 'invalid-url'
 * ```
 */
export type InvalidDestinationReason = 'not-http' | 'invalid-url'

/**
 * Options of an {@link InvalidDestinationError}: {@link PytrackErrorOptions} plus the reason.
 *
 * @example
 * ```ts
 * throw new InvalidDestinationError('the click destination is not an http(s) URL', { reason: 'not-http' })
 * ```
 */
export interface InvalidDestinationErrorOptions extends PytrackErrorOptions {
  /** Why the destination was refused. */
  reason: InvalidDestinationReason
}

/**
 * A click link's destination is not one the tracking handler would redirect to (see
 * {@link parseClickDestination}), so no link is made for it. The message never repeats the URL.
 *
 * @example
 * ```ts
 * getClickTrackingUrl('https:/example.com/x', null, { configuration }) // throws InvalidDestinationError
 * ```
 */
export class InvalidDestinationError extends PytrackError {
  /** `not-http` or `invalid-url`. */
  readonly reason: InvalidDestinationReason

  constructor(message: string, options: InvalidDestinationErrorOptions) {
    super(message, { ...options, code: 'ERR_PYTRACK_INVALID_DESTINATION' })
    this.name = 'InvalidDestinationError'
    this.reason = options.reason
  }
}
