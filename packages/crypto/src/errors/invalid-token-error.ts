import { PytrackError, type PytrackErrorOptions } from '@pytrack/core'

const INVALID_TOKEN_MESSAGE =
  'the Fernet token is invalid: it is malformed, was altered, was made with another key, or is outside its ttl'

/**
 * A Fernet token was refused: Python's `cryptography.fernet.InvalidToken`. Every failure
 * (bad base64, wrong version, truncated, tampered, wrong key, bad padding, expired,
 * far-future) gets this one error with one generic message, so a caller learns nothing
 * about which check failed.
 *
 * @example
 * ```ts
 * try {
 *   fernet.decrypt(token, { ttl: 3600 })
 * } catch (error) {
 *   if (isPytrackError(error, 'ERR_PYTRACK_INVALID_TOKEN')) return notFound()
 *   throw error
 * }
 * ```
 */
export class InvalidTokenError extends PytrackError {
  constructor(message: string = INVALID_TOKEN_MESSAGE, options?: PytrackErrorOptions) {
    super(message, { ...options, code: 'ERR_PYTRACK_INVALID_TOKEN' })
    this.name = 'InvalidTokenError'
  }
}

declare module '@pytrack/core' {
  interface PytrackErrorCodes {
    ERR_PYTRACK_INVALID_TOKEN: InvalidTokenError
  }
}
