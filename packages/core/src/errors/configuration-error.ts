import { PytrackError, type PytrackErrorOptions } from './pytrack-error'

/**
 * A configuration value is missing or wrong (a base URL that is not an absolute http(s) URL,
 * a negative timeout, an unknown codec).
 *
 * @example
 * ```ts
 * new Configuration({ baseOpenTrackingUrl: 'tracking.example.com' }) // throws ConfigurationError
 * ```
 */
export class ConfigurationError extends PytrackError {
  constructor(message: string, options?: PytrackErrorOptions) {
    super('ERR_PYTRACK_CONFIGURATION', message, options)
    this.name = 'ConfigurationError'
  }
}
