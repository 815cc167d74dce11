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
  | 'invalid_link'
  | 'unavailable'
  | 'internal'

/**
 * A request to the HTTP API was refused. `status` is the HTTP status the API answers with,
 * `reason` the stable code in the JSON body.
 *
 * @example
 * ```ts
 * throw new ApiError(400, 'invalid_request', 'metadata must be a JSON object')
 * ```
 */
export class ApiError extends PytrackError {
  /** The HTTP status, 4xx or 5xx. */
  readonly status: number
  /** The stable code the JSON error body carries. */
  readonly reason: ApiErrorReason

  constructor(status: number, reason: ApiErrorReason, message: string, options?: PytrackErrorOptions) {
    super('ERR_PYTRACK_API', message, options)
    this.name = 'ApiError'
    this.status = status
    this.reason = reason
  }
}
