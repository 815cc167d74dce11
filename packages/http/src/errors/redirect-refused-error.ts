import { PytrackError, type PytrackErrorOptions } from '@pytrack/core'

/**
 * Why a click link's destination was refused.
 *
 * @example
 * ```ts
 * if (error instanceof RedirectRefusedError && error.reason === 'not-allowed') alertForgedLink()
 * ```
 */
export type RedirectRefusalReason = 'not-http' | 'invalid-url' | 'not-allowed'

/**
 * A click link decoded, but the handler will not redirect to its destination: it is not an
 * `http(s)` URL (`javascript:`, `data:`, a relative path), it is not a valid URL, or the link
 * was sealed by a codec anyone can forge (plain base64) and the destination is not in
 * `allowedDestinations`. The handler answers 404 and passes this error to `onDecodingError`.
 * The message never contains the destination.
 *
 * @example
 * ```ts
 * createTrackingHandler({
 *   onDecodingError(error) {
 *     if (isPytrackError(error, 'ERR_PYTRACK_REDIRECT_REFUSED')) metrics.increment(`refused.${(error as RedirectRefusedError).reason}`)
 *   },
 * })
 * ```
 */
export class RedirectRefusedError extends PytrackError {
  /** `not-http`, `invalid-url` or `not-allowed`. */
  readonly reason: RedirectRefusalReason

  constructor(message: string, reason: RedirectRefusalReason, options?: PytrackErrorOptions) {
    super('ERR_PYTRACK_REDIRECT_REFUSED', message, options)
    this.name = 'RedirectRefusedError'
    this.reason = reason
  }
}
