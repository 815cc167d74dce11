import type { Metadata } from './configuration'

/**
 * The metadata key that marks a recipient who must not be tracked: links whose metadata holds
 * `track: false` are answered as usual (the pixel, the redirect) but nothing is recorded or
 * forwarded, and `adaptHtml` / `adaptText` leave such a message as it is.
 *
 * @example
 * ```ts
 * const metadata = { message_id: 'm-1', [DO_NOT_TRACK_KEY]: false }
 * ```
 */
export const DO_NOT_TRACK_KEY = 'track'

/**
 * True when the metadata says its recipient must not be tracked: `track` is exactly `false`.
 *
 * @example
 * ```ts
 * if (isDoNotTrack(result.metadata)) return // answer, store nothing
 * ```
 */
export function isDoNotTrack(metadata: Metadata | null | undefined): boolean {
  return metadata !== null && typeof metadata === 'object' && (metadata as Record<string, unknown>)[DO_NOT_TRACK_KEY] === false
}
