import { PytrackError, type PytrackErrorOptions } from './pytrack-error'

/**
 * Options of a {@link ConfigurationError}: {@link PytrackErrorOptions} plus the setting to blame.
 *
 * @example
 * ```ts
 * throw new ConfigurationError('trustedProxies must be an array', { setting: 'trustedProxies' })
 * ```
 */
export interface ConfigurationErrorOptions extends PytrackErrorOptions {
  /** The option or field that is wrong, such as `trustedProxies`. */
  setting?: string | undefined
}

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
  /**
   * The option or field that is wrong, such as `baseClickTrackingUrl` or `trustedProxies`, so a
   * caller can point at its own name for it (an environment variable, a form field). Undefined
   * when no single field is at fault (the whole options object is wrong). `fromPytracking`
   * names pytracking's snake_case key; a nested option is named by its top level (`routes`).
   */
  readonly setting: string | undefined

  constructor(message: string, options?: ConfigurationErrorOptions) {
    super(message, { ...options, code: 'ERR_PYTRACK_CONFIGURATION' })
    this.name = 'ConfigurationError'
    this.setting = options?.setting
  }
}
