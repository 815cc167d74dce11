import type { PytrackErrorCode } from './codes'

// A registered symbol is shared by every realm and by both the ESM and CJS builds,
// so the brand survives where `instanceof` does not.
const BRAND = Symbol.for('@pytrack/error')

/**
 * Options accepted by every pytrack error constructor.
 *
 * @example
 * ```ts
 * throw new InvalidLinkError('tracking link is not valid base64', { cause: error })
 * ```
 */
export interface PytrackErrorOptions {
  /** The underlying error, kept for debugging (never shown in the message). */
  cause?: unknown
}

/**
 * The base class of every error a pytrack package throws. Check `code`, not the message:
 * codes are stable, messages may improve.
 *
 * @example
 * ```ts
 * try {
 *   getClickTrackingResult(path, { configuration })
 * } catch (error) {
 *   if (isPytrackError(error, 'ERR_PYTRACK_INVALID_LINK')) return notFound()
 *   throw error
 * }
 * ```
 */
export class PytrackError extends Error {
  /** A stable, machine-readable code such as `ERR_PYTRACK_INVALID_LINK`. */
  readonly code: PytrackErrorCode

  constructor(code: PytrackErrorCode, message: string, options?: PytrackErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.name = 'PytrackError'
    Object.defineProperty(this, BRAND, { value: true })
  }
}

/**
 * Tells whether `value` is a pytrack error, optionally with the given `code`.
 * Works across realms and across duplicate copies of the package, where `instanceof` fails.
 *
 * @example
 * ```ts
 * if (isPytrackError(error, 'ERR_PYTRACK_LINK_TOO_LONG')) shortenMetadata()
 * ```
 */
export function isPytrackError(value: unknown, code?: PytrackErrorCode): value is PytrackError {
  if (typeof value !== 'object' || value === null) return false
  if ((value as { [BRAND]?: unknown })[BRAND] !== true) return false
  return code === undefined || (value as PytrackError).code === code
}
