import type { PytrackErrorCode, PytrackErrorCodes } from './codes'

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
 * What the {@link PytrackError} constructor takes: {@link PytrackErrorOptions} plus the code.
 * Subclasses take `(message, options)` too and set the code themselves.
 *
 * @example
 * ```ts
 * new PytrackError('the store is gone', { code: 'ERR_PYTRACK_STORE', cause: error })
 * ```
 */
export interface PytrackErrorInit extends PytrackErrorOptions {
  /** The stable code, one of {@link PytrackErrorCodes}. */
  code: PytrackErrorCode
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

  constructor(message: string, options: PytrackErrorInit) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = options.code
    this.name = 'PytrackError'
    Object.defineProperty(this, BRAND, { value: true })
  }
}

/**
 * Tells whether `value` is a pytrack error, optionally with the given `code`; with a code, it
 * narrows to that code's class ({@link PytrackErrorCodes}), so its fields need no cast.
 * Works across realms and across duplicate copies of the package, where `instanceof` fails.
 *
 * @example
 * ```ts
 * if (isPytrackError(error, 'ERR_PYTRACK_LINK_TOO_LONG')) console.log(error.length, error.maxLength)
 * ```
 */
export function isPytrackError<C extends PytrackErrorCode>(value: unknown, code: C): value is PytrackErrorCodes[C]
export function isPytrackError(value: unknown, code?: PytrackErrorCode): value is PytrackError
export function isPytrackError(value: unknown, code?: PytrackErrorCode): boolean {
  if (typeof value !== 'object' || value === null) return false
  if ((value as { [BRAND]?: unknown })[BRAND] !== true) return false
  return code === undefined || (value as PytrackError).code === code
}
