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
 * Options of a {@link RedirectRefusedError}: {@link PytrackErrorOptions} plus its fields.
 *
 * @example
 * ```ts
 * throw new RedirectRefusedError('the destination is not allowed', { reason: 'not-allowed' })
 * ```
 */
export interface RedirectRefusedErrorOptions extends PytrackErrorOptions {
  /** `not-http`, `invalid-url` or `not-allowed`. */
  reason: RedirectRefusalReason
}

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
 *     if (isPytrackError(error, 'ERR_PYTRACK_REDIRECT_REFUSED')) metrics.increment(`refused.${error.reason}`)
 *   },
 * })
 * ```
 */
export class RedirectRefusedError extends PytrackError {
  /** `not-http`, `invalid-url` or `not-allowed`. */
  readonly reason: RedirectRefusalReason

  constructor(message: string, options: RedirectRefusedErrorOptions) {
    super(message, { ...options, code: 'ERR_PYTRACK_REDIRECT_REFUSED' })
    this.name = 'RedirectRefusedError'
    this.reason = options.reason
  }
}

declare module '@pytrack/core' {
  interface PytrackErrorCodes {
    ERR_PYTRACK_REDIRECT_REFUSED: RedirectRefusedError
  }
}
