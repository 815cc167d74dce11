import { PytrackError, type PytrackErrorOptions } from './pytrack-error'

/**
 * A function was called with an argument of the wrong type or shape.
 *
 * @example
 * ```ts
 * getClickTrackingUrl(42 as never) // throws InvalidArgumentError: urlToTrack must be a string
 * ```
 */
export class InvalidArgumentError extends PytrackError {
  constructor(message: string, options?: PytrackErrorOptions) {
    super(message, { ...options, code: 'ERR_PYTRACK_INVALID_ARGUMENT' })
    this.name = 'InvalidArgumentError'
  }
}
