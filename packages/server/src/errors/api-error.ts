import { PytrackError, type PytrackErrorOptions } from '@pytrack/core'

/**
 * The stable codes of the HTTP API's error answers (`{"error":{"code":...}}`).
 *
 * @example
 * ```ts
 * if (body.error.code === ('unauthorized' satisfies ApiErrorReason)) askForToken()
 * ```
 */
export type ApiErrorReason =
  | 'unauthorized'
  | 'not_found'
  | 'method_not_allowed'
  | 'unsupported_media_type'
  | 'body_too_large'
  | 'invalid_json'
  | 'invalid_request'
  | 'invalid_metadata'
  | 'link_too_long'
  | 'request_timeout'
  | 'unavailable'
  | 'internal'

/**
 * Options of a {@link ApiError}: {@link PytrackErrorOptions} plus its fields.
 *
 * @example
 * ```ts
 * throw new ApiError('metadata must be a JSON object', { status: 400, reason: 'invalid_request' })
 * ```
 */
export interface ApiErrorOptions extends PytrackErrorOptions {
  /** The HTTP status, 4xx or 5xx. */
  status: number
  /** The stable code the JSON error body carries. */
  reason: ApiErrorReason
}

/**
 * A request to the HTTP API was refused. `status` is the HTTP status the API answers with,
 * `reason` the stable code in the JSON body.
 *
 * @example
 * ```ts
 * throw new ApiError('metadata must be a JSON object', { status: 400, reason: 'invalid_request' })
 * ```
 */
export class ApiError extends PytrackError {
  /** The HTTP status, 4xx or 5xx. */
  readonly status: number
  /** The stable code the JSON error body carries. */
  readonly reason: ApiErrorReason

  constructor(message: string, options: ApiErrorOptions) {
    super(message, { ...options, code: 'ERR_PYTRACK_API' })
    this.name = 'ApiError'
    this.status = options.status
    this.reason = options.reason
  }
}

declare module '@pytrack/core' {
  interface PytrackErrorCodes {
    ERR_PYTRACK_API: ApiError
  }
}
