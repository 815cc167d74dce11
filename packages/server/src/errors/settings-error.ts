import { PytrackError, type PytrackErrorOptions } from '@pytrack/core'

/**
 * Options of a {@link SettingsError}: {@link PytrackErrorOptions} plus its fields.
 *
 * @example
 * ```ts
 * throw new SettingsError('PYTRACK_PORT must be a port number', { setting: 'PYTRACK_PORT' })
 * ```
 */
export interface SettingsErrorOptions extends PytrackErrorOptions {
  /** The setting at fault, such as `PYTRACK_PORT` or `port`. */
  setting: string
}

/**
 * A server setting is missing or wrong: a port that is not a number, a public URL that is not
 * http(s), an unreadable config file, a key that does not parse, the API open to the network
 * without a token. Thrown before the server listens, so start-up fails fast.
 *
 * @example
 * ```ts
 * try {
 *   loadSettings({ env: { PYTRACK_PORT: 'eighty' } })
 * } catch (error) {
 *   if (isPytrackError(error, 'ERR_PYTRACK_SETTINGS')) console.error(error.message)
 * }
 * ```
 */
export class SettingsError extends PytrackError {
  /** The setting at fault, such as `PYTRACK_PORT` or `port`. */
  readonly setting: string

  constructor(message: string, options: SettingsErrorOptions) {
    super(message, { ...options, code: 'ERR_PYTRACK_SETTINGS' })
    this.name = 'SettingsError'
    this.setting = options.setting
  }
}

declare module '@pytrack/core' {
  interface PytrackErrorCodes {
    ERR_PYTRACK_SETTINGS: SettingsError
  }
}
