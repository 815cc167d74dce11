import { PytrackError, type PytrackErrorOptions } from './pytrack-error'

/**
 * A tracking link (or its path) cannot be decoded: empty, too long, not base64, not JSON,
 * not an object, or refused by the codec. The message never contains the link itself.
 *
 * @example
 * ```ts
 * getOpenTrackingResult('!!!!', { configuration }) // throws InvalidLinkError
 * ```
 */
export class InvalidLinkError extends PytrackError {
  constructor(message: string, options?: PytrackErrorOptions) {
    super(message, { ...options, code: 'ERR_PYTRACK_INVALID_LINK' })
    this.name = 'InvalidLinkError'
  }
}
