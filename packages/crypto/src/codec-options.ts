/**
 * Options of {@link fernetCodec} and {@link signedCodec}.
 *
 * @example
 * ```ts
 * const options: CodecOptions = { maxAgeSeconds: 90 * 24 * 3600 } // links work for 90 days
 * ```
 */
export interface CodecOptions {
  /**
   * Refuse links older than this many seconds with {@link LinkExpiredError}, and links stamped
   * more than 60 seconds in the future. Default: links never expire (as pytracking).
   */
  maxAgeSeconds?: number | undefined
  /** The current time in seconds since the epoch, used to stamp and to check links (for tests). Default: the system clock. */
  clock?: (() => number) | undefined
}
