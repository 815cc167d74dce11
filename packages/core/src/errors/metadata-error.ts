import { PytrackError, type PytrackErrorOptions } from './pytrack-error'

/**
 * Options of a {@link MetadataError}: {@link PytrackErrorOptions} plus where the bad value is.
 *
 * @example
 * ```ts
 * throw new MetadataError('metadata.total is NaN', { path: 'metadata.total' })
 * ```
 */
export interface MetadataErrorOptions extends PytrackErrorOptions {
  /** Where in the metadata the bad value sits, such as `metadata.items[2]`. */
  path: string
}

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

  constructor(message: string, options: MetadataErrorOptions) {
    super(message, { ...options, code: 'ERR_PYTRACK_METADATA' })
    this.name = 'MetadataError'
    this.path = options.path
  }
}
