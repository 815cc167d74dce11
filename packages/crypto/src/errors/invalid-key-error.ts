import { PytrackError, type PytrackErrorOptions } from '@pytrack/core'

/**
 * A key or secret cannot be used: a Fernet key that is not 32 bytes in URL-safe base64, a
 * signing secret that is too short, an empty key list. The message never contains the key.
 *
 * @example
 * ```ts
 * new Fernet('too-short') // throws InvalidKeyError (code ERR_PYTRACK_INVALID_KEY)
 * ```
 */
export class InvalidKeyError extends PytrackError {
  constructor(message: string, options?: PytrackErrorOptions) {
    super(message, { ...options, code: 'ERR_PYTRACK_INVALID_KEY' })
    this.name = 'InvalidKeyError'
  }
}

declare module '@pytrack/core' {
  interface PytrackErrorCodes {
    ERR_PYTRACK_INVALID_KEY: InvalidKeyError
  }
}
