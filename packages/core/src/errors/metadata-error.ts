import { PytrackError, type PytrackErrorOptions } from './pytrack-error'

/**
 * The metadata cannot be written as JSON the way pytracking would: a cycle, a BigInt,
 * a function, a symbol, NaN or Infinity, a Map, or a value that is not a plain object.
 *
 * @example
 * ```ts
 * getOpenTrackingUrl({ total: NaN }, { configuration }) // throws MetadataError
 * ```
 */
export class MetadataError extends PytrackError {
  /** Where in the metadata the bad value sits, such as `metadata.items[2]`. */
  readonly path: string

  constructor(message: string, path: string, options?: PytrackErrorOptions) {
    super('ERR_PYTRACK_METADATA', message, options)
    this.name = 'MetadataError'
    this.path = path
  }
}
