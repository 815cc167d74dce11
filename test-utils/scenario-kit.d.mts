import type { Metadata, TrackingResult } from '@pytrack/core'

/** What a refused call threw: null when it did not throw. */
export type Refusal = { branded: boolean; name: string; code: unknown } | null

/** What `fn` threw, as JSON (null when it did not throw); `isPytrackError` is the package's own guard. */
export declare function refusal(fn: () => unknown, isPytrackError: (value: unknown) => boolean): Refusal

/** A decoded link in pytracking's names, as its vector files record it. */
export interface PytrackingFields {
  is_open_tracking: boolean
  is_click_tracking: boolean
  tracked_url: string | null
  webhook_url: string | null
  metadata: Metadata
}

/** A decoded link in pytracking's names, as its vector files record it. */
export declare function pytrackingFields(result: TrackingResult): PytrackingFields
