import { PytrackError, type PytrackErrorOptions } from '@pytrack/core'

/**
 * The event store failed: the database file cannot be opened or written, or a query failed.
 * The cause keeps the driver's error.
 *
 * @example
 * ```ts
 * try {
 *   store.recordEvent(event, [])
 * } catch (error) {
 *   if (isPytrackError(error, 'ERR_PYTRACK_STORE')) logger.error({ err: error }, 'event not stored')
 * }
 * ```
 */
export class StoreError extends PytrackError {
  constructor(message: string, options?: PytrackErrorOptions) {
    super(message, { ...options, code: 'ERR_PYTRACK_STORE' })
    this.name = 'StoreError'
  }
}

declare module '@pytrack/core' {
  interface PytrackErrorCodes {
    ERR_PYTRACK_STORE: StoreError
  }
}
